import { text } from './text';

const CPU = /^(\d+m|\d+(\.\d{1,3})?)$/;
const MEMORY = /^\d+(Ki|Mi|Gi)$/;

/** Kubernetes CPU quantity in whole or fractional cores (`1`, `0.5`) or millicores (`250m`). */
export const cpuQuantity = text
  .regex(CPU, 'expected a CPU quantity such as "250m" or "1"')
  .describe('CPU quantity: millicores ("250m") or cores ("1", "0.5").');

/** Kubernetes memory quantity with a binary suffix (`256Mi`, `1Gi`). */
export const memoryQuantity = text
  .regex(MEMORY, 'expected a memory quantity with a binary suffix such as "256Mi" or "1Gi"')
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

/**
 * A CPU request that asks for something: "0" (or "0m") would have the scheduler and the
 * capacity check count the pod as free, which it never is.
 */
export const cpuRequest = cpuQuantity.refine((q) => !CPU.test(q) || millicores(q) > 0, {
  message:
    'a CPU quantity of 0 asks for nothing: the scheduler and the capacity check would count the pod as free; give ' +
    'what it needs, such as "100m"',
});

/** A memory quantity that is not zero: no pod runs, and no volume holds data, in 0 bytes. */
export const memoryAmount = memoryQuantity.refine((q) => !MEMORY.test(q) || bytes(q) > 0, {
  message:
    'a memory quantity of 0 is never enough: no pod runs and no volume holds data in 0 bytes; give the size it ' +
    'needs, such as "256Mi"',
});
