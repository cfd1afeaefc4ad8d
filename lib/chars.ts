/**
 * Characters a YAML 1.1 reader (PyYAML in cloud-init, go-yaml in kubectl and K3s) does not take
 * the way the `yaml` package (YAML 1.2) writes them: C0 and C1 controls, NEL (U+0085), LINE and
 * PARAGRAPH SEPARATOR (U+2028, U+2029), which YAML 1.1 reads as line breaks, the byte-order
 * mark, the noncharacters U+FFFE/U+FFFF, and unpaired surrogates. One home for the set: the
 * config's character policy refuses them in every field, and the re-read of every rendered file
 * refuses them in the text (where only the line feed between lines is allowed).
 */
const BEYOND_C0 = '\\u007f-\\u009f\\u2028\\u2029\\ufeff\\ufffe\\uffff';

/** Any refused character, line feed included: no configuration field is multi-line. */
export const UNREADABLE = new RegExp(`[\\u0000-\\u001f${BEYOND_C0}]|\\p{Cs}`, 'u');

/** Any refused character except the line feed, which separates the lines of a rendered file. */
export const UNREADABLE_IN_TEXT = new RegExp(`[\\u0000-\\u0009\\u000b-\\u001f${BEYOND_C0}]|\\p{Cs}`, 'u');

/** `U+0085`, the notation error messages use for a character. */
export const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
