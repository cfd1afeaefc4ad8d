import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { resolveToken } from '../model/token';
import { estimatedBits, MIN_TOKEN_BITS, repeatPeriod, weakSecretReason } from '../config/token-strength';
import { tempDir, TEST_TOKEN } from './support';

/**
 * A cluster token must look random (config/token-strength.ts): K3s itself takes any secret, so
 * a placeholder such as 32 × "a" would protect the cluster with nothing.
 */

const FULL_PREFIX = `K10${'0123456789abcdef'.repeat(4)}::server:`;
const REPEATED = 'its secret is one character repeated';
const pattern = (n: number) =>
  `its secret repeats a ${n}-character pattern, so it is no more random than those ${n} characters`;
const variety = (bits: number) =>
  `its secret has too little variety to be random (about ${bits} bits by its character counts; ` +
  `a random secret of that length shows far more, and at least ${MIN_TOKEN_BITS} are required)`;

describe('a secret with no randomness is refused, saying why without quoting it', () => {
  test.each<[string, string, string]>([
    ['32 × a', 'a'.repeat(32), REPEATED],
    ['48 × 0', '0'.repeat(48), REPEATED],
    ['ab repeated', 'ab'.repeat(16), pattern(2)],
    ['a word repeated', 'password'.repeat(4), pattern(8)],
    ['a pattern that does not fill the last round', 'abcdefghij'.repeat(3) + 'abc', pattern(10)],
    ['one character but one', `${'a'.repeat(31)}b`, variety(6)],
    ['two characters, unevenly', `${'a'.repeat(24)}${'b'.repeat(8)}x`, variety(32)],
  ])('%s', (_name, secret, reason) => {
    expect(weakSecretReason(secret)).toBe(reason);
  });
});

describe('the secrets K3s and this tool generate are always accepted', () => {
  const vendored = JSON.parse(
    fs.readFileSync(path.join(__dirname, 'fixtures', 'k3s', 'networking.json'), 'utf8'),
  ).generatedToken;
  test(`K3s's own: ${vendored.bytes} random bytes as ${vendored.encoding}`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: vendored.bytes, maxLength: vendored.bytes }), (bytes) => {
        expect(weakSecretReason(Buffer.from(bytes).toString(vendored.encoding))).toBeUndefined();
      }),
      { seed: 20261205, numRuns: 2000 },
    );
  });

  test('this tool’s: 36 random bytes as base64url (model/token.ts), and openssl rand -hex 32', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 36, maxLength: 36 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b) => {
          expect(weakSecretReason(Buffer.from(a).toString('base64url'))).toBeUndefined();
          expect(weakSecretReason(Buffer.from(b).toString('hex'))).toBeUndefined();
        },
      ),
      { seed: 20261205, numRuns: 2000 },
    );
  });

  test('the tests’ token too', () => {
    expect(weakSecretReason(TEST_TOKEN)).toBeUndefined();
  });
});

test('the estimate: a repeated character has 0 bits, n distinct characters once each log2(n) per character', () => {
  expect(estimatedBits('a'.repeat(32))).toBe(0);
  expect(estimatedBits('abcdefghijklmnop'.repeat(2))).toBe(32 * 4);
  expect(repeatPeriod('abcabcab')).toBe(3);
  expect(repeatPeriod('abcabd')).toBeUndefined();
});

describe('resolveToken refuses a weak token from K3S_TOKEN or the file, and never shows it', () => {
  const tokenFile = () => path.join(tempDir('token'), '.secrets', 'k3s-token');
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  test('32 × a in K3S_TOKEN, for a new cluster', () => {
    const m = message(() => resolveToken({ K3S_TOKEN: 'a'.repeat(32) }, { established: false, file: tokenFile() }));
    expect(m).toBe(
      `K3S_TOKEN holds a cluster token that is not random: ${REPEATED}. ` +
        'Use a random secret, such as the output of openssl rand -hex 32; unset it to use the token file',
    );
  });

  test('a full token of a running cluster whose secret is a pattern: rotate it', () => {
    const token = `${FULL_PREFIX}${'ab'.repeat(16)}`;
    const m = message(() => resolveToken({ K3S_TOKEN: token }, { established: true, file: tokenFile() }));
    expect(m).toBe(
      `K3S_TOKEN holds a cluster token that is not random: ${pattern(2)}. ` +
        'Rotate it on a server (k3s token rotate --new-token <random secret>, ' +
        'such as the output of openssl rand -hex 32), then use the new token',
    );
    expect(m).not.toContain('abab');
  });

  test('a weak secret in the token file', () => {
    const f = tokenFile();
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, `${'x'.repeat(40)}\n`, { mode: 0o600 });
    expect(message(() => resolveToken({}, { established: false, file: f }))).toBe(
      `${f} holds a cluster token that is not random: ${REPEATED}. ` +
        'Use a random secret, such as the output of openssl rand -hex 32; ' +
        'fix it, or delete it to generate a new one before any node is built',
    );
  });

  test('a full token with a random secret is still accepted', () => {
    expect(
      resolveToken({ K3S_TOKEN: `${FULL_PREFIX}${TEST_TOKEN}` }, { established: true, file: tokenFile() }),
    ).toMatchObject({ form: 'full' });
  });
});
