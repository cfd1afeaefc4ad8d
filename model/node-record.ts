import { createHash } from 'crypto';

/**
 * A token-free record of one node's user-data: every file it writes (path, owner, mode,
 * content), its runcmd and its K3s config, with the cluster token replaced by TOKEN_MARKER.
 * Committed in dist/nodes/, so `git diff` shows what a config change does to each server, and
 * its fingerprint labels the server built from it, so the plan compares without the token.
 */
export interface NodeRecord {
  readonly name: string;
  /** The record as written to dist/nodes/<name>.record (YAML 1.1 text). */
  readonly text: string;
  /** `fingerprintOf(text)`: the value of the server's NODE_FILE_LABEL. */
  readonly fingerprint: string;
  /** What `text` says, as it reads back (the render checks that it does): the plan compares it without parsing the text. */
  readonly data: RecordData;
}

/** What stands in the record where the user-data holds the cluster token. */
export const TOKEN_MARKER = '<cluster token: not recorded>';

/**
 * The label that names the node file a server was built from (`hcloud server create --label`).
 * Hetzner's label rules (API reference, "Labels"; test/fixtures/hcloud/LABELS.md): a key of an
 * optional DNS-subdomain prefix and a name of at most 63 characters; a value of at most 63
 * characters, alphanumeric at both ends.
 */
export const NODE_FILE_LABEL = 'honeydue/node-file';

/**
 * The fingerprint of a record: the first 40 hex digits of its SHA-256 (160 bits, as a git
 * commit id). A whole SHA-256 in hex is 64 characters, one over Hetzner's label value limit.
 */
export const fingerprintOf = (recordText: string): string =>
  createHash('sha256').update(recordText).digest('hex').slice(0, 40);

/** The record's file name in dist/nodes/: not .yaml, .yml or .json, so kubectl never reads it. */
export const recordFileName = (node: { readonly name: string }): string => `${node.name}.record`;

/** The parts of a record the plan compares, as the record's YAML holds them. */
export interface RecordData {
  readonly node: string;
  readonly role: 'first' | 'join';
  readonly files: readonly {
    readonly path: string;
    readonly owner: string;
    readonly permissions: string;
    readonly content: string;
  }[];
  readonly runcmd: readonly (readonly string[])[];
  readonly 'k3s-config': Readonly<Record<string, unknown>>;
}
