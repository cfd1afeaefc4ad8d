import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { UserInputError } from '../lib/errors';

/** Where the generated cluster token is kept between runs (git-ignored). */
export const TOKEN_FILE = path.join('.secrets', 'k3s-token');

/** K3s tokens are passed in a file and a URL-safe alphabet keeps them out of quoting trouble. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{32,}$/;

export class TokenError extends UserInputError {}

/**
 * The cluster token: `K3S_TOKEN` if set, else the one kept in `.secrets/k3s-token`, else a
 * new one (48 random URL-safe characters, 288 bits) written there with mode 0600. Never
 * logged. K3s's own short tokens are guessable only in theory, but a long random one costs
 * nothing.
 */
export function resolveToken(env: NodeJS.ProcessEnv, file: string = TOKEN_FILE): { token: string; source: string } {
  if (env.K3S_TOKEN !== undefined && env.K3S_TOKEN !== '') {
    if (!TOKEN_PATTERN.test(env.K3S_TOKEN)) {
      throw new TokenError('K3S_TOKEN must be at least 32 characters of A-Z a-z 0-9 . _ ~ + / = -; unset it to use a generated token');
    }
    return { token: env.K3S_TOKEN, source: 'K3S_TOKEN' };
  }
  if (fs.existsSync(file)) {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (!TOKEN_PATTERN.test(token)) {
      throw new TokenError(`${file} does not hold a valid token (at least 32 characters of A-Z a-z 0-9 . _ ~ + / = -); fix it, or delete it to generate a new one before any node is built`);
    }
    return { token, source: file };
  }
  const token = randomBytes(36).toString('base64url');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // 'wx': never overwrite a token another run wrote meanwhile; nodes already built use it.
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, source: `${file} (new)` };
}
