/**
 * Whether a cluster token's secret looks random. K3s takes any secret, and the user-data that
 * carries it is readable by anything on a node that can reach the metadata service: a secret
 * such as 32 × "a" passes every format check and protects nothing. This is a floor against
 * placeholders and patterns, not a strength meter: every secret K3s or this tool generates
 * (16 random bytes as hex, 36 as base64url) is far above it.
 */

/** The least randomness a secret must show by its character counts, in bits. */
export const MIN_TOKEN_BITS = 64;

/**
 * Bits the secret would carry if each character were drawn independently with the
 * frequencies it shows (its length × the Shannon entropy of its characters). A guess from the
 * text itself: it cannot see a secret someone else knows, only one with no variety.
 */
export function estimatedBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...secret].length;
  let perChar = 0;
  for (const c of counts.values()) perChar -= (c / n) * Math.log2(c / n);
  return n * perChar;
}

/** The length of the shortest unit the secret repeats (abcabc… has 3), or undefined when it repeats none. */
export function repeatPeriod(secret: string): number | undefined {
  const chars = [...secret];
  for (let p = 1; p <= chars.length / 2; p++) {
    if (chars.every((ch, i) => i < p || ch === chars[i - p])) return p;
  }
  return undefined;
}

/**
 * Why `secret` is too weak to be a cluster token, or undefined when it is not. The reason
 * never quotes the secret or any part of it: it ends up in an error message.
 */
export function weakSecretReason(secret: string): string | undefined {
  const period = repeatPeriod(secret);
  if (period === 1) return 'its secret is one character repeated';
  if (period !== undefined)
    return `its secret repeats a ${period}-character pattern, so it is no more random than those ${period} characters`;
  const bits = Math.floor(estimatedBits(secret));
  if (bits < MIN_TOKEN_BITS) {
    return (
      `its secret has too little variety to be random (about ${bits} bits by its character counts; ` +
      `a random secret of that length shows far more, and at least ${MIN_TOKEN_BITS} are required)`
    );
  }
  return undefined;
}
