import { z } from 'zod';
import { codePoint, INVISIBLE, UNREADABLE } from '../lib/chars';

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

/** The first bidi control or zero-width character of `s` (lib/chars.ts `INVISIBLE`), or undefined. */
export function invisibleChar(s: string): { char: string; index: number } | undefined {
  const m = INVISIBLE.exec(s);
  return m ? { char: m[0], index: m.index } : undefined;
}

/** `s` with every refused character shown as `\u0085`, safe to print in an error line. */
export function visible(s: string): string {
  return s.replace(new RegExp(UNREADABLE.source, 'gu'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Adds the character policy to a string schema, as its first check; a refused character
 * stops the other checks, so the message is about the character and not a pattern.
 *
 * Bidi controls and zero-width characters are refused too: every value of this file is read
 * by a person somewhere (a manifest under review, `kubectl describe`, a printed command line),
 * and there they would show the text in another order than it is stored, or two different
 * values as the same one.
 */
export function printable<T extends z.ZodType<string>>(schema: T): T {
  return schema.check((ctx) => {
    const bad = unreadableChar(ctx.value);
    if (bad) {
      const name = NAMES[bad.char.codePointAt(0)!] ?? 'a control character';
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        continue: false,
        message: `contains ${codePoint(bad.char)} (${name}) at character ${bad.index + 1}; remove it: no field may hold control characters, Unicode line or paragraph separators or a byte-order mark, because the YAML 1.1 readers of the output (cloud-init, kubectl) would read another document`,
      });
      return;
    }
    const hidden = invisibleChar(ctx.value);
    if (hidden) {
      const bidi = !/[\u200b-\u200d\u2060]/.test(hidden.char);
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        continue: false,
        message: `contains ${codePoint(hidden.char)} (${bidi ? 'a bidi control, which reorders the text around it' : 'a zero-width character, which hides a difference between two values'}) at character ${hidden.index + 1}; remove it: a person reads this value in the manifests, in kubectl's output or in a printed command, and would not see what is stored`,
      });
    }
  }) as T;
}

/**
 * The longest value a plain field takes. The longest real values of this file (an image
 * reference with a tag and a digest, a URL) stay well under it; a longer one is a mistake, and
 * would land in a systemd unit line, a label or an argv word whose readers have limits of their own.
 */
export const TEXT_MAX = 1024;

/** The base of every string field: any printable text up to TEXT_MAX characters. Fields with a grammar add a pattern. */
export const text = printable(z.string()).max(
  TEXT_MAX,
  `expected at most ${TEXT_MAX} characters; no field of this file needs more`,
);

/**
 * A container environment variable's value. kubectl apply copies the whole object into its
 * last-applied-configuration annotation, and the API server refuses an object whose annotations
 * pass 256 KiB (apimachinery `TotalAnnotationSizeLimitB`); one value stays far below that, and
 * config/app-checks.ts `checkEnvSize` bounds an app's variables together.
 */
export const ENV_VALUE_MAX = 32 * 1024;

export const envValue = printable(z.string()).max(
  ENV_VALUE_MAX,
  `expected at most ${ENV_VALUE_MAX} characters: kubectl apply stores the whole Deployment in an annotation that Kubernetes caps at 256 KiB; put a value this large in a ConfigMap or a Secret (secretEnv) instead`,
);
