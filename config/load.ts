import { isNode, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { readBoundedSync, TooLargeError } from '../lib/bounded-read';
import { firstNonUtf8, lineOfByte, utf16Kind } from '../lib/encoding';
import { UserInputError } from '../lib/errors';
import { terminalSafe } from '../lib/terminal-safe';
import type { Config } from './schema';

/**
 * Most aliases (`*name`) a configuration may use. Every alias is expanded when the file is
 * read, so a few nested ones (a "billion laughs" file) would expand into gigabytes; a real
 * configuration needs few or none.
 */
export const MAX_ALIAS_COUNT = 100;

/**
 * The largest configuration file read, in bytes. The production one is under 4 KiB; every field
 * is bounded by its consumer (config/text.ts), and this bounds them together, so that a wrong
 * file (`/dev/zero`, a log, a disk image) is refused after one bounded read.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** The default: the production configuration at the repository root (npm and cdk8s run there). */
export const DEFAULT_CONFIG_FILE = 'cluster.yaml';

/**
 * A configuration the stack cannot be built from. The message names file, line, field and fix;
 * the file name comes from the command line or the environment, so it is printed escaped.
 */
export class ConfigError extends UserInputError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${terminalSafe(file)}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Which file to read: the `--config` option, else `HONEYDUE_CONFIG`, else the embedded default. */
export function configFileFrom(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option || env.HONEYDUE_CONFIG || DEFAULT_CONFIG_FILE;
}

export function loadConfig(file: string = DEFAULT_CONFIG_FILE, bytes?: Buffer): Config {
  return parseConfig(decodeConfig(bytes ?? readConfigBytes(file), file), file);
}

/** The file's bytes, through one bounded read (lib/bounded-read.ts). */
export function readConfigBytes(file: string): Buffer {
  try {
    return readBoundedSync(file, MAX_CONFIG_BYTES);
  } catch (e) {
    throw readError(file, e);
  }
}

/** The ConfigError for a failed read: too large, or the system's refusal. */
export function readError(file: string, e: unknown): ConfigError {
  if (e instanceof TooLargeError)
    return new ConfigError(file, [
      `the file is larger than ${MAX_CONFIG_BYTES} bytes (${MAX_CONFIG_BYTES / 1024} KiB), far more than a configuration holds (the production one is under 4 KiB): pass the cluster's configuration with --config or HONEYDUE_CONFIG`,
    ]);
  return new ConfigError(file, [
    `cannot read the file (${(e as NodeJS.ErrnoException).code ?? e}); pass an existing file with --config or HONEYDUE_CONFIG`,
  ]);
}

/**
 * The file's text, once it is UTF-8. A Latin-1 (or other legacy) file would otherwise be read
 * with U+FFFD in place of each accented letter, and that would reach the manifests; a UTF-16
 * one would read as NULs and garbage.
 */
export function decodeConfig(bytes: Buffer, file: string): string {
  const utf16 = utf16Kind(bytes);
  if (utf16)
    throw new ConfigError(file, [
      `line 1: the file is ${utf16}, not UTF-8; save it as UTF-8 (iconv -f ${utf16} -t UTF-8, or your editor's "save with encoding")`,
    ]);
  const bad = firstNonUtf8(bytes);
  if (bad !== undefined) {
    const line = lineOfByte(bytes, bad);
    const column = bad - (bytes.lastIndexOf(0x0a, bad - 1) + 1) + 1;
    throw new ConfigError(file, [
      `line ${line}, column ${column}: byte 0x${bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')} is not UTF-8 (the file looks Latin-1 or another legacy encoding); save it as UTF-8 (iconv -f LATIN1 -t UTF-8)`,
    ]);
  }
  return bytes.toString('utf8');
}

/** Parses and validates YAML text; `source` names it in errors. */
export function parseConfig(text: string, source: string): Config {
  // A pure function of the text: a text this process has already validated gets a copy of
  // that result, without a parse. The synth snapshot's warm-up validates cluster.yaml while
  // the snapshot is built, so an unchanged cluster.yaml costs a lookup (README, Performance).
  // Failures are not kept; copies keep callers apart.
  const known = VALIDATED.get(text);
  if (known) return structuredClone(known);
  const config = validate(text, source);
  VALIDATED.set(text, structuredClone(config));
  return config;
}

/** Texts that passed `validate`, with the result. */
const VALIDATED = new Map<string, Config>();

/**
 * Takes `config` as the result of validating `text` in another process of this same code: the
 * synth snapshot's build validates cluster.yaml in a process of its own (scripts/build.js), so
 * that the snapshot holds the result and not the schema.
 */
export function rememberConfig(text: string, config: Config): void {
  VALIDATED.set(text, structuredClone(config));
}

function validate(text: string, source: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${at ? `line ${at.line}, column ${at.col}: ` : ''}not valid YAML: ${terminalSafe(e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''))}`;
      }),
    );
  }
  const tagged = explicitTags(doc, lines);
  if (tagged.length > 0) throw new ConfigError(source, tagged);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      throw new ConfigError(source, [
        `its YAML aliases (*name) expand too far (more than ${MAX_ALIAS_COUNT} expansions; nested aliases grow exponentially): write the values out instead of aliasing them`,
      ]);
    }
    throw e;
  }
  // Loaded here: the schema (zod) stays out of a run whose config is already validated.
  const { configSchema } = require('./schema') as typeof import('./schema');
  const result = configSchema.safeParse(data ?? {});
  if (result.success) return result.data;

  const located = (issuePath: readonly PropertyKey[]) => {
    // Point at the deepest node that exists in the file; a missing field points at its parent.
    for (let n = issuePath.length; n >= 0; n--) {
      const node = doc.getIn(issuePath.slice(0, n) as (string | number)[], true);
      if (isNode(node) && node.range) {
        const { line } = lines.linePos(node.range[0]);
        return `line ${line}, `;
      }
    }
    return '';
  };
  const present = (p: readonly PropertyKey[]) => doc.hasIn(p as (string | number)[]);
  throw new ConfigError(
    source,
    result.error.issues.map((issue) =>
      describeIssue(issue, located(issue.path), present(issue.path), doc.getIn(issue.path as (string | number)[])),
    ),
  );
}

/**
 * Every explicit tag (`!!python/object/apply:…`, `!!str`, `!custom`) in the file, each as a
 * problem with its line. The configuration needs none: a tag is a sign the file was written for
 * another reader (PyYAML's python tags construct objects and run code), so it is refused
 * rather than read as the plain value beneath it.
 */
function explicitTags(doc: ReturnType<typeof parseDocument>, lines: LineCounter): string[] {
  const found: string[] = [];
  visit(doc, {
    Node(_key, node) {
      if (!node.tag) return;
      const at = node.range ? `line ${lines.linePos(node.range[0]).line}: ` : '';
      const tag = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
      found.push(
        `${at}the YAML tag ${terminalSafe(tag)} is not taken here: the configuration holds plain values only, and a tag is a sign the file was written for another reader (PyYAML's python tags run code). Remove the tag`,
      );
    },
  });
  return found;
}

/** The YAML 1.1 booleans that YAML 1.2, which reads this file, takes as strings. */
const YAML11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function describeIssue(issue: z.core.$ZodIssue, where: string, present: boolean, value: unknown): string {
  const field = issue.path.length > 0 ? fieldName(issue.path) : '(top level)';
  switch (issue.code) {
    case 'invalid_key':
      // A record key (an env variable name): the key's own checks say what is wrong.
      return issue.issues.map((inner) => `${where}${field}: invalid name: ${inner.message}`).join('\n  - ');
    case 'unrecognized_keys':
      return `${where}${field}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${terminalSafe(k)}"`).join(', ')}; check the spelling against .schema/cluster.schema.json or remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    case 'invalid_type':
      if (present && issue.expected === 'boolean' && typeof value === 'string')
        return `${where}${field}: expected true or false, found "${terminalSafe(value)}": this file is read as YAML 1.2, where only true and false are booleans${YAML11_BOOLEAN.test(value) ? ` (${value} is a boolean only to YAML 1.1 readers)` : ''}; write true or false`;
      return `${where}${field}: ${present ? issue.message.replace(/^Invalid input: /, '') : `missing; expected ${issue.expected}`}`;
    default:
      return `${where}${field}: ${issue.message.replace(/^Invalid input: /, '')}`;
  }
}

/** `apps.api.env.DB_SSLMODE`; a segment that is not a plain word is quoted with its hidden characters shown. */
function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => {
      const s = String(seg);
      if (/^[A-Za-z0-9_-]+$/.test(s)) return i === 0 ? s : `.${s}`;
      return `["${terminalSafe(s).replace(/"/g, '\\"')}"]`;
    })
    .join('');
}
