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

/**
 * Characters that change what a person sees without being seen: the bidi controls (the Arabic
 * letter mark U+061C, the left-to-right and right-to-left marks U+200E/U+200F, the embeddings and
 * overrides U+202A–U+202E, the isolates U+2066–U+2069), which reorder the text around them, and
 * the zero-width characters (U+200B–U+200D, the word joiner U+2060), which hide a difference
 * between two values that look the same. One home for the set: the config refuses them
 * (config/text.ts), and lib/terminal-safe.ts escapes them in everything printed.
 */
export const INVISIBLE_CLASS = '\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060\\u2066-\\u2069';
export const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS}]`, 'u');

/** `U+0085`, the notation error messages use for a character. */
export const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
