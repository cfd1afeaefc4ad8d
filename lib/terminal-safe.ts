import { INVISIBLE_CLASS } from './chars';

/**
 * Strings from outside (paths, environment values, file contents, tool output) printed raw can
 * forge a line (CR, LF, NEL, U+2028/U+2029), move the cursor or recolour the terminal (ESC and
 * the other C0/C1 controls), or show text in another order than it is stored (bidi controls)
 * or hide part of it (zero-width characters). Each such character is written as `\u{XXXX}`
 * instead, and the backslash itself as `\\`, so that two different inputs never print the same:
 * the escaping can be undone exactly (`unescapeTerminalSafe`, used by the tests).
 */

/**
 * Every character `terminalSafe` escapes: C0 controls, DEL, C1 controls (NEL is one), the Arabic
 * letter mark U+061C, the zero-width space, non-joiner and joiner U+200B–U+200D, the left-to-right
 * and right-to-left marks U+200E/U+200F, LINE and PARAGRAPH SEPARATOR U+2028/U+2029, the bidi
 * embeddings and overrides U+202A–U+202E, the word joiner U+2060, the bidi isolates
 * U+2066–U+2069, the byte-order mark (zero-width no-break space) U+FEFF, and unpaired surrogates.
 */
export const TERMINAL_UNSAFE = new RegExp(
  `[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\ufeff${INVISIBLE_CLASS}]|\\p{Cs}`,
  'u',
);

const UNSAFE_OR_BACKSLASH = new RegExp(`\\\\|${TERMINAL_UNSAFE.source}`, 'gu');

/** `s` as it may be printed to a terminal: every `TERMINAL_UNSAFE` character as `\u{XXXX}`, `\` as `\\`. */
export function terminalSafe(s: string): string {
  return s.replace(UNSAFE_OR_BACKSLASH, (c) =>
    c === '\\' ? '\\\\' : `\\u{${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}}`,
  );
}

/** The inverse of `terminalSafe`: for tests that prove no two inputs print the same. */
export function unescapeTerminalSafe(s: string): string {
  return s.replace(/\\\\|\\u\{([0-9A-F]{4})\}/g, (_m, hex: string | undefined) =>
    hex === undefined ? '\\' : String.fromCharCode(parseInt(hex, 16)),
  );
}
