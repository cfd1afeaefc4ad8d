import { createHash } from 'crypto';
import FLAG_FACTS from '../vendor/k3s/k3s-flags.json';
import NODE_CONFIG from '../vendor/k3s/node-config.json';

/**
 * What a K3s server runs with, as K3s itself records it on its Node: the `k3s.io/node-args`
 * annotation, a JSON argv (vendor/k3s/node-config.json, from pkg/nodeconfig/nodeconfig.go and
 * pkg/configfilearg/parser.go at the v1.34.6 commit). The same functions turn a rendered
 * config.yaml into the argv K3s would record for it, so that both sides of a comparison pass
 * through one parser and one set of defaults.
 */

/** A flag's value: a string, a boolean flag, or the items of a list flag. */
export type ArgValue = string | boolean | readonly string[];
/** Flag name (long form, no dashes) → value. Unset flags are absent. */
export type K3sArgs = ReadonlyMap<string, ArgValue>;

export const K3S_NODE = NODE_CONFIG;
export const OMITTED = NODE_CONFIG.omittedValue;

type Kind = 'bool' | 'string' | 'stringSlice' | 'int' | 'duration';
interface FlagFact {
  readonly type: string;
  readonly default?: unknown;
}
const FLAGS = FLAG_FACTS.flags as unknown as Readonly<Record<string, FlagFact>>;
const ALIASES = FLAG_FACTS.aliases as Readonly<Record<string, string>>;
const COMMA_SPLIT = new Set(NODE_CONFIG.commaSplitSlices);
const SECRET_ARGS = new Set(NODE_CONFIG.secretArgs);

const kindOf = (name: string): Kind | undefined => FLAGS[name]?.type as Kind | undefined;
const canonical = (name: string): string => ALIASES[name] ?? name;

/** A node-args annotation K3s could not have written. */
export class NodeArgsError extends Error {}

/** wrangler's convert.ToString of a decoded YAML value, as configfilearg uses it. */
const toString = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

/**
 * The argv configfilearg builds from config.yaml and its drop-ins (in the order given, as
 * K3s reads them: config.yaml, then config.yaml.d/ in name order): keys in order of first
 * appearance, a later single value replacing an earlier one, `key+` appending, one
 * `--key=value` per list item (`-k=value` for a one-letter key).
 */
export function configFileArgs(files: readonly Readonly<Record<string, unknown>>[]): string[] {
  const order: string[] = [];
  const values = new Map<string, unknown>();
  for (const file of files) {
    for (const [rawKey, v] of Object.entries(file)) {
      const append = rawKey.endsWith('+');
      const key = append ? rawKey.slice(0, -1) : rawKey;
      if (!values.has(key)) order.push(key);
      const old = values.get(key);
      values.set(key, append && values.has(key) ? [...asList(old), ...asList(v)] : v);
    }
  }
  return order.flatMap((key) => {
    const v = values.get(key);
    const prefix = key.length === 1 ? '-' : '--';
    return Array.isArray(v) ? v.map((item) => `${prefix}${key}=${toString(item)}`) : [`${prefix}${key}=${toString(v)}`];
  });
}

const asList = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : typeof v === 'string' ? [v] : toString(v).trim() === '' ? [] : [toString(v).trim()];

/**
 * The `k3s.io/node-args` K3s writes for `k3s <command line>` with these config files: the
 * subcommand, the files' values, the rest of the command line; each `--key=value` split in two,
 * the value after a secret argument replaced by `********` (getNodeArgs).
 */
export function nodeArgsFor(commandLine: readonly string[], files: readonly Readonly<Record<string, unknown>>[]) {
  const [subcommand, ...rest] = commandLine;
  const argv = [subcommand ?? 'server', ...configFileArgs(files), ...rest].flatMap((a) => {
    if (!a.startsWith('--') || !a.includes('=')) return [a];
    const at = a.indexOf('=');
    return [a.slice(0, at), a.slice(at + 1)];
  });
  return argv.map((a, i) => (i > 0 && SECRET_ARGS.has(argv[i - 1]!) ? OMITTED : a));
}

/** `k3s.io/node-config-hash`: base32 (padded) of sha256 over node-args and node-env (SetNodeConfigAnnotations). */
export function nodeConfigHash(nodeArgs: string, nodeEnv: string): string {
  return base32(
    createHash('sha256')
      .update(nodeArgs + nodeEnv)
      .digest(),
  );
}

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out.padEnd(Math.ceil(out.length / 8) * 8, '=');
}

/** What a node-args annotation says: the flags set, and those K3s redacted. */
export interface NodeArgs {
  readonly args: K3sArgs;
  /** Flags whose value K3s replaced by `********` (the token, S3 keys). */
  readonly redacted: ReadonlySet<string>;
}

/** strconv.ParseBool, as urfave reads a boolean flag's value. */
const BOOL_WORDS: Readonly<Record<string, boolean>> = {
  '1': true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

/**
 * Reads a node-args argv back into flags: a boolean flag takes a following true/false (as the
 * config file writes it) or stands alone (as the command line may), any other flag takes the
 * next element; list flags collect every value (and K3s's own comma-split lists are split);
 * for a single value the last one wins, as flags win over config files.
 */
export function parseNodeArgs(argv: readonly unknown[]): NodeArgs {
  if (!argv.every((a): a is string => typeof a === 'string'))
    throw new NodeArgsError('node-args is not a list of strings');
  if (argv[0] !== 'server')
    throw new NodeArgsError(`node-args starts with ${JSON.stringify(argv[0] ?? '')}, not "server"`);
  const args = new Map<string, ArgValue>();
  const redacted = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) throw new NodeArgsError(`node-args has ${JSON.stringify(a)} where a flag belongs`);
    let name = a.replace(/^--?/, '');
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) [name, value] = [name.slice(0, eq), name.slice(eq + 1)];
    name = canonical(name);
    const kind = kindOf(name);
    const next = argv[i + 1];
    if (value === undefined) {
      if (kind === 'bool') value = next !== undefined && Object.hasOwn(BOOL_WORDS, next) ? argv[++i]! : 'true';
      else if (kind !== undefined || (next !== undefined && !next.startsWith('-'))) {
        if (next === undefined) throw new NodeArgsError(`node-args ends with ${a}, which takes a value`);
        value = argv[++i]!;
      } else value = 'true';
    }
    if (value === OMITTED && SECRET_ARGS.has(a)) redacted.add(name);
    if (kind === 'stringSlice') {
      const items = COMMA_SPLIT.has(name) ? value.split(',').filter((s) => s !== '') : [value];
      args.set(name, [...((args.get(name) as string[] | undefined) ?? []), ...items]);
    } else if (kind === 'bool') {
      if (!Object.hasOwn(BOOL_WORDS, value))
        throw new NodeArgsError(`node-args gives --${name} the value ${JSON.stringify(value)}`);
      args.set(name, BOOL_WORDS[value]!);
    } else args.set(name, value);
  }
  return { args, redacted };
}

/** The addresses a running server's defaults come from (its Node's status). */
export interface NodeFacts {
  readonly internalIP?: string;
  readonly externalIP?: string;
}

/**
 * The flags with K3s's defaults filled in and empty values dropped, so that an unset flag and
 * its default compare equal: each flag's own default (k3s-flags.json), the values K3s works out
 * at start (node-config.json `runtimeDefaults`), node-ip from the Node's InternalIP when the
 * server's node-args do not set it, advertise-address from node-external-ip or node-ip.
 */
export function withDefaults(args: K3sArgs, facts: NodeFacts = {}): K3sArgs {
  const out = new Map<string, ArgValue>();
  for (const [name, fact] of Object.entries(FLAGS)) if (present(fact.default)) out.set(name, norm(fact.default));
  for (const [name, v] of Object.entries(NODE_CONFIG.runtimeDefaults)) out.set(name, v);
  if (facts.internalIP) out.set('node-ip', [facts.internalIP]);
  for (const [name, v] of args) {
    if (present(v)) out.set(name, v);
    else out.delete(name);
  }
  const advertise = (out.get('node-external-ip') ?? out.get('node-ip')) as readonly string[] | undefined;
  if (!out.has('advertise-address') && advertise?.[0]) out.set('advertise-address', advertise[0]);
  return out;
}

const present = (v: unknown): boolean => v !== '' && v !== null && v !== undefined && !(Array.isArray(v) && !v.length);
const norm = (v: unknown): ArgValue => (typeof v === 'boolean' ? v : Array.isArray(v) ? v.map(toString) : toString(v));

/** What a rendered config.yaml runs with, read the way K3s reads it. */
export const renderedArgs = (k3sConfig: Readonly<Record<string, unknown>>): K3sArgs =>
  withDefaults(parseNodeArgs(nodeArgsFor(['server'], [k3sConfig])).args);

/** Equal as K3s reads them: the comma-split lists are sets, the others ordered. */
export function sameArg(name: string, a: ArgValue | undefined, b: ArgValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b) && COMMA_SPLIT.has(name))
    return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `etcd.k3s.cattle.io/snapshot-token-hash` of a server token: the first 12 hex digits of
 * sha256 of its secret, the part after `K10<ca-hash>::server:` or the bare token (GetTokenHash).
 * Compared with the snapshots' annotation, it tells whether a token belongs to the cluster
 * without sending it anywhere.
 */
export function tokenHash(token: string): string {
  const full = /^K10[0-9a-f]*::[^:]*:(.+)$/.exec(token);
  return createHash('sha256')
    .update(full ? full[1]! : token)
    .digest('hex')
    .slice(0, NODE_CONFIG.tokenHashLength);
}
