import { text } from './text';

/** Kubernetes CPU quantity in whole or fractional cores (`1`, `0.5`) or millicores (`250m`). */
export const cpuQuantity = text
  .regex(/^(\d+m|\d+(\.\d{1,3})?)$/, 'expected a CPU quantity such as "250m" or "1"')
  .describe('CPU quantity: millicores ("250m") or cores ("1", "0.5").');

/** Kubernetes memory quantity with a binary suffix (`256Mi`, `1Gi`). */
export const memoryQuantity = text
  .regex(/^\d+(Ki|Mi|Gi)$/, 'expected a memory quantity with a binary suffix such as "256Mi" or "1Gi"')
  .describe('Memory quantity with a binary suffix: "256Mi", "1Gi".');

/** Millicores of a validated CPU quantity. */
export function millicores(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 } as const;

/** Bytes of a validated memory quantity. */
export function bytes(q: string): number {
  const unit = q.slice(-2) as keyof typeof BINARY;
  return Number(q.slice(0, -2)) * BINARY[unit];
}
