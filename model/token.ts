import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { weakSecretReason } from '../config/token-strength';
import { UserInputError } from '../lib/errors';
import { PATHS } from './paths';

/** Where the cluster token is kept between runs (git-ignored). */
export const TOKEN_FILE = path.join('.secrets', 'k3s-token');

/** Where a running K3s server keeps its full token: the file to copy for an established cluster. */
export const SERVER_TOKEN_PATH = PATHS.k3sServerToken;

/** The secret itself: long, and a URL-safe alphabet that needs no quoting anywhere. */
const SECRET = '[A-Za-z0-9._~+/=-]{32,}';
const SECRET_RULE = 'at least 32 characters of A-Z a-z 0-9 . _ ~ + / = -';

/**
 * The two token forms K3s accepts for a server (k3s-io/k3s `pkg/clientaccess/token.go`,
 * `parseToken` and `FormatTokenBytes`; test/fixtures/k3s/TOKEN-FORMS.md):
 * - plain: the bare secret, as the first server of a new cluster gets it;
 * - full: `K10` + the lower-case hex sha256 of the cluster CA + `::` + `server:` + the secret,
 *   as a running server writes it to /var/lib/rancher/k3s/server/token. With it, a joining
 *   server checks the CA it is shown against the hash before it sends the secret.
 */
const PLAIN_TOKEN = new RegExp(`^${SECRET}$`);
const FULL_TOKEN = new RegExp(`^K10[0-9a-f]{64}::server:${SECRET}$`);

export type TokenForm = 'plain' | 'full';

export interface ClusterToken {
  readonly token: string;
  /** Where it came from, for the operator: `K3S_TOKEN`, the file, or the file `(new)`. Never the value. */
  readonly source: string;
  readonly form: TokenForm;
  /**
   * For a newly generated token only: writes it to the token file (mode 0600, never over an
   * existing one). Called when the run puts its output in place, so a failed run leaves no
   * token behind that no node uses.
   */
  readonly save?: () => void;
}

export class TokenError extends UserInputError {}

/** An established cluster with no token at hand: nothing may make one up. */
export class NoTokenError extends TokenError {}

export interface TokenOptions {
  /** `cluster.established`: the cluster runs, so its token must be given and never made up. */
  readonly established: boolean;
  /** @default TOKEN_FILE */
  readonly file?: string;
}

/**
 * The cluster token: `K3S_TOKEN` if set, else the one kept in `.secrets/k3s-token`, else, for
 * a new cluster only, a new one (48 random URL-safe characters, 288 bits), which `save`
 * writes there with mode 0600. Neither the token nor any part of it is ever printed or put in an error.
 */
export function resolveToken(env: NodeJS.ProcessEnv, opts: TokenOptions): ClusterToken {
  const file = opts.file ?? TOKEN_FILE;
  if (env.K3S_TOKEN !== undefined && env.K3S_TOKEN !== '') {
    return checked(env.K3S_TOKEN, 'K3S_TOKEN', opts.established, 'unset it to use the token file');
  }
  const st = statOrUndefined(file);
  if (st) {
    if (!st.isFile()) throw new TokenError(`${file} is not a regular file; it must hold the cluster token`);
    if ((st.mode & 0o077) !== 0) {
      throw new TokenError(
        `${file} is readable or writable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); it holds the cluster token: run  chmod 600 ${file}`,
      );
    }
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new TokenError(
        `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); it must hold the cluster token`,
      );
    }
    return checked(
      text.trim(),
      file,
      opts.established,
      'fix it, or delete it to generate a new one before any node is built',
    );
  }
  if (opts.established) {
    throw new NoTokenError(
      `cluster.established is true but there is no cluster token: neither K3S_TOKEN nor ${file} is set, and a new token could never join the running cluster. ` +
        `Copy ${SERVER_TOKEN_PATH} from a running server into ${file} (mode 0600: chmod 600 ${file}), or set K3S_TOKEN to its content`,
    );
  }
  const token = randomBytes(36).toString('base64url');
  const save = () => {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // 'wx': never overwrite a token another run wrote meanwhile; nodes already built use it.
      fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      throw new TokenError(
        `cannot write the new cluster token to ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); set K3S_TOKEN, or run where ${file} can be created`,
      );
    }
  };
  return { token, source: `${file} (new)`, form: 'plain', save };
}

/** The token's form, or a TokenError that names `source` and the fix, never the value. */
function checked(token: string, source: string, established: boolean, fix: string): ClusterToken {
  // A well-formed token must still be random (config/token-strength.ts); a full one’s secret follows "::server:".
  const secret = token.slice(token.lastIndexOf(':') + 1);
  const weak = (FULL_TOKEN.test(token) || PLAIN_TOKEN.test(token)) && weakSecretReason(secret);
  if (weak) {
    throw new TokenError(
      `${source} holds a cluster token that is not random: ${weak}. ` +
        (established
          ? 'Rotate it on a server (k3s token rotate --new-token <random secret>, ' +
            'such as the output of openssl rand -hex 32), then use the new token'
          : `Use a random secret, such as the output of openssl rand -hex 32; ${fix}`),
    );
  }
  if (FULL_TOKEN.test(token)) {
    if (!established) {
      // A full token carries the CA hash of a running cluster; a first server running
      // cluster-init makes a new CA, so the nodes that join it would refuse its certificate.
      throw new TokenError(
        `${source} holds a full K10… server token, which belongs to a running cluster, but cluster.established is false: set cluster.established: true to rebuild nodes of that cluster, or use a plain secret for a new one (to restore a snapshot onto a rebuilt first server, the secret is the part after "::server:")`,
      );
    }
    return { token, source, form: 'full' };
  }
  if (PLAIN_TOKEN.test(token)) return { token, source, form: 'plain' };
  if (/^K10[^:]*::node:/.test(token)) {
    throw new TokenError(
      `${source} holds an agent token (K10…::node:…); servers need the server token from ${SERVER_TOKEN_PATH}`,
    );
  }
  throw new TokenError(
    `${source} is not a K3s server token: expected either the plain secret (${SECRET_RULE}) or the full form K10<64 hex digits>::server:<secret> from ${SERVER_TOKEN_PATH}; ${fix}`,
  );
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenError(
      `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); it must hold the cluster token`,
    );
  }
}

/** Whether a token is at hand (K3S_TOKEN, or the token file), without reading it. */
export function tokenAtHand(env: NodeJS.ProcessEnv, file: string = TOKEN_FILE): boolean {
  return (env.K3S_TOKEN ?? '') !== '' || fs.existsSync(file);
}

/**
 * How the summary names the token: where it came from and, for a running cluster, whether
 * joining servers verify its CA (a new cluster has no CA yet, so its token is always plain).
 */
export function describeToken(t: ClusterToken, established: boolean): string {
  if (t.form === 'full') return `from ${t.source} (full K10 server token: joining servers verify the cluster CA)`;
  return established
    ? `from ${t.source} (plain secret: joining servers cannot verify the cluster CA; the full token in ${SERVER_TOKEN_PATH} lets them)`
    : `from ${t.source}`;
}
