/**
 * Where a byte string stops being UTF-8: the offset of the first byte that does not start or
 * continue a well-formed UTF-8 sequence (overlongs, surrogates and values past U+10FFFF
 * included, as the WHATWG decoder refuses them), or undefined when all of it is UTF-8.
 */
export function firstNonUtf8(b: Uint8Array): number | undefined {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return undefined;
}

/** Which UTF-16 a byte string is, by its byte-order mark or by the NUL bytes that ASCII text has in UTF-16. */
export function utf16Kind(b: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | undefined {
  if (b[0] === 0xff && b[1] === 0xfe) return 'UTF-16LE';
  if (b[0] === 0xfe && b[1] === 0xff) return 'UTF-16BE';
  // Without a mark: text that is mostly ASCII has a NUL in every other byte. A stray NUL in
  // UTF-8 text is not that (the character check refuses it).
  const head = b.subarray(0, 64);
  let odd = 0;
  let even = 0;
  head.forEach((x, i) => {
    if (x === 0) {
      if (i % 2) odd++;
      else even++;
    }
  });
  const half = Math.floor(head.length / 2);
  if (half >= 2 && odd >= half / 2) return 'UTF-16LE';
  if (half >= 2 && even >= half / 2) return 'UTF-16BE';
  return undefined;
}

/** The 1-based line of byte `offset`: line feeds before it, plus one. */
export function lineOfByte(b: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (b[i] === 0x0a) line++;
  return line;
}
