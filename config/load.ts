import * as fs from 'fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserInputError } from '../lib/errors';
import type { Config } from './schema';

/**
 * Most aliases (`*name`) a configuration may use. Every alias is expanded when the file is
 * read, so a few nested ones (a "billion laughs" file) would expand into gigabytes; a real
 * configuration needs few or none.
 */
export const MAX_ALIAS_COUNT = 100;

/** The default: the production configuration at the repository root (npm and cdk8s run there). */
export const DEFAULT_CONFIG_FILE = 'cluster.yaml';

/** A configuration the stack cannot be built from. The message names file, line, field and fix. */
export class ConfigError extends UserInputError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Which file to read: the `--config` option, else `HONEYDUE_CONFIG`, else the embedded default. */
export function configFileFrom(option: string | undefined, env: NodeJS.ProcessEnv): string {
  return option || env.HONEYDUE_CONFIG || DEFAULT_CONFIG_FILE;
}

export function loadConfig(file: string = DEFAULT_CONFIG_FILE): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [
      `cannot read the file (${(e as NodeJS.ErrnoException).code ?? e}); pass an existing file with --config or HONEYDUE_CONFIG`,
    ]);
  }
  return parseConfig(text, file);
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
        return `${at ? `line ${at.line}, column ${at.col}: ` : ''}not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
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
    result.error.issues.map((issue) => describeIssue(issue, located(issue.path), present(issue.path))),
  );
}

function describeIssue(issue: z.core.$ZodIssue, where: string, present: boolean): string {
  const field = issue.path.length > 0 ? fieldName(issue.path) : '(top level)';
  switch (issue.code) {
    case 'invalid_key':
      // A record key (an env variable name): the key's own checks say what is wrong.
      return issue.issues.map((inner) => `${where}${field}: invalid name: ${inner.message}`).join('\n  - ');
    case 'unrecognized_keys':
      return `${where}${field}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against .schema/cluster.schema.json or remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    case 'invalid_type':
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
      const { visible } = require('./text') as typeof import('./text');
      return `[${JSON.stringify(visible(s)).replace(/\\\\u/g, '\\u')}]`;
    })
    .join('');
}
