import { z } from 'zod';
import { codePoint, UNREADABLE } from '../lib/chars';

/**
 * The character policy every string of the configuration passes before it can reach an
 * output. The outputs are YAML read by YAML 1.1 parsers (PyYAML in cloud-init, go-yaml in
 * kubectl and K3s), systemd units and firewall rule files. To a YAML 1.1 reader NEL (U+0085),
 * LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029) end a line, where the `yaml`
 * package that writes the files (YAML 1.2) sees ordinary characters: one of them in a
 * comment or a scalar lets a value start a new top-level key (such as `bootcmd`, run as root).
 * C0 and C1 controls (tab, CR and LF included: no field is multi-line), a byte-order mark and
 * the noncharacters U+FFFE/U+FFFF are refused for the same reason or because PyYAML rejects
 * them outright; an unpaired surrogate cannot be written as UTF-8 at all.
 */

const NAMES: Readonly<Record<number, string>> = {
  0x09: 'TAB',
  0x0a: 'LINE FEED',
  0x0d: 'CARRIAGE RETURN',
  0x85: 'NEL, a line break to YAML 1.1',
  0x2028: 'LINE SEPARATOR, a line break to YAML 1.1',
  0x2029: 'PARAGRAPH SEPARATOR, a line break to YAML 1.1',
  0xfeff: 'BYTE ORDER MARK',
};

/** The first character of `s` the policy refuses, with its index, or undefined. */
export function unreadableChar(s: string): { char: string; index: number } | undefined {
  const m = UNREADABLE.exec(s);
  return m ? { char: m[0], index: m.index } : undefined;
}

/** `s` with every refused character shown as `\u0085`, safe to print in an error line. */
export function visible(s: string): string {
  return s.replace(new RegExp(UNREADABLE.source, 'gu'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Adds the character policy to a string schema, as its first check; a refused character
 * stops the other checks, so the message is about the character and not a pattern.
 */
export function printable<T extends z.ZodType<string>>(schema: T): T {
  return schema.check((ctx) => {
    const bad = unreadableChar(ctx.value);
    if (!bad) return;
    const name = NAMES[bad.char.codePointAt(0)!] ?? 'a control character';
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      continue: false,
      message: `contains ${codePoint(bad.char)} (${name}) at character ${bad.index + 1}; remove it: no field may hold control characters, Unicode line or paragraph separators or a byte-order mark, because the YAML 1.1 readers of the output (cloud-init, kubectl) would read another document`,
    });
  }) as T;
}

/** The base of every string field: any printable text. Fields with a grammar add a pattern. */
export const text = printable(z.string());
