import fc from 'fast-check';
import { TERMINAL_UNSAFE, terminalSafe, unescapeTerminalSafe } from '../lib/terminal-safe';
import { FC_SEED } from './support';

/**
 * lib/terminal-safe.ts: what is printed of a string from outside can neither forge a line nor
 * move the cursor, nor show text reordered or hide part of it; and two inputs never print the same.
 */

/** Every character the escape must remove, one by one (not the regex it is built from). */
const UNSAFE: number[] = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i), // DEL, C1 (NEL is U+0085)
  0x061c,
  0x200b,
  0x200c,
  0x200d,
  0x200e,
  0x200f,
  0x2028,
  0x2029,
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2060,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
  0xfeff,
];

test.each(UNSAFE.map((c) => [c.toString(16).padStart(4, '0'), c]))('U+%s is escaped', (_hex, c) => {
  const out = terminalSafe(`a${String.fromCharCode(c)}b`);
  expect(out).toBe(`a\\u{${c.toString(16).toUpperCase().padStart(4, '0')}}b`);
});

test('forged lines, cursor moves and reordering print as text', () => {
  expect(terminalSafe('ok\nNo changes: all servers match\r\x1b[2K\x1b[1Ax')).toBe(
    'ok\\u{000A}No changes: all servers match\\u{000D}\\u{001B}[2K\\u{001B}[1Ax',
  );
  expect(terminalSafe('dist/\u202Elmay.txt')).toBe('dist/\\u{202E}lmay.txt');
  expect(terminalSafe('lone \ud800 surrogate')).toBe('lone \\u{D800} surrogate');
});

test('printable text stays as it is: accents, emoji, CJK, quotes', () => {
  for (const s of ['Grüße', '👋 hello', '東京', `it's "quoted"`, 'tab-less path/to/file.yaml'])
    expect(terminalSafe(s)).toBe(s);
});

const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...UNSAFE.map((c) => String.fromCharCode(c)), '\\', 'u', '{', '}', '0', 'A'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

test('property: the output holds none of the characters, and the escape can be undone exactly', () => {
  fc.assert(
    fc.property(hostile, (s) => {
      const out = terminalSafe(s);
      expect(TERMINAL_UNSAFE.test(out)).toBe(false);
      for (const c of UNSAFE) expect(out.includes(String.fromCharCode(c))).toBe(false);
      expect(unescapeTerminalSafe(out)).toBe(s);
    }),
    { seed: FC_SEED, numRuns: 2000 },
  );
});

test('property: two different inputs never print the same', () => {
  fc.assert(
    fc.property(hostile, hostile, (a, b) => {
      fc.pre(a !== b);
      expect(terminalSafe(a)).not.toBe(terminalSafe(b));
    }),
    { seed: FC_SEED, numRuns: 2000 },
  );
});
