/**
 * `npm run docs`: regenerates what the docs show of the code, the way `npm run synth` regenerates
 * dist/. Two kinds of output, both committed and kept current by test/docs.test.ts:
 *
 * - docs/configuration-reference.md, written whole from the zod schema (config/schema.ts): every
 *   field with its type, default and `.describe()` text, as Traefik's chart derives VALUES.md
 *   from values.yaml.
 * - The blocks between `<!-- generated: <command> -->` and `<!-- end generated -->` in README.md
 *   and docs/*.md: what `<command>` prints for the committed cluster.yaml (a runbook, `--help`,
 *   the synth summary). The steps themselves live only in the code; a page shows their output.
 *
 * Not on the synth's start-up path: nothing in main.ts or cli/ imports this file.
 * `node build/docs.js --check` writes nothing and exits 1 when a file is out of date.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { prepare } from '../cli/synth';
import { configSchema } from '../config/schema';

const ROOT = findRoot();

/** The configuration reference's file, generated whole. */
export const CONFIG_REFERENCE = 'docs/configuration-reference.md';

/** A generated block: the command it shows, then its output, fenced. */
const BLOCK = /(<!-- generated: (.+?) -->\n)[\s\S]*?(<!-- end generated -->)/g;

/**
 * Stands for a full K10 server token in a generated command (`K3S_TOKEN=… npm run -s synth`): a
 * fixed value of a real token's form and length, so the node files' sizes are those of a real
 * run. It is never printed (the summary never shows the token).
 */
const EXAMPLE_TOKEN = `K10${sha256('honeydue-infra docs: example cluster CA')}::server:${sha256('honeydue-infra docs: example secret').slice(0, 32)}`;

/** Every file the docs generator owns, with the content it should have now. */
export function generatedDocs(root: string = ROOT): Map<string, string> {
  const files = new Map<string, string>();
  files.set(CONFIG_REFERENCE, configReference());
  for (const file of pagesWithBlocks(root)) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    files.set(
      file,
      text.replace(BLOCK, (_all, open: string, command: string, close: string) => {
        return `${open}\`\`\`text\n$ ${command}\n${commandOutput(command, root).join('\n')}\n\`\`\`\n${close}`;
      }),
    );
  }
  return files;
}

/** README.md and every page under docs/ that holds a generated block. */
export function pagesWithBlocks(root: string = ROOT): string[] {
  const pages = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).map((f) => `docs/${f}`)];
  return pages.filter((p) => p.endsWith('.md') && /<!-- generated: /.test(fs.readFileSync(path.join(root, p), 'utf8')));
}

/**
 * What a command prints for the committed cluster.yaml, run in-process by the CLI's own
 * `prepare` in a scratch working directory holding only a copy of cluster.yaml: no token file,
 * no output directory, no environment but the command's own. A synth's output is built and
 * removed again (abort): nothing is written.
 */
export function commandOutput(command: string, root: string = ROOT): string[] {
  const m = /^(?:(K3S_TOKEN=…) )?npm run -s synth(?: -- (.*))?$/.exec(command);
  if (!m)
    throw new Error(`generated block: cannot run "${command}" (expected [K3S_TOKEN=… ]npm run -s synth [-- args])`);
  const env: NodeJS.ProcessEnv = m[1] ? { K3S_TOKEN: EXAMPLE_TOKEN } : {};
  const argv = m[2] ? m[2].split(' ') : [];
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'honeydue-docs-'));
  const before = process.cwd();
  const lines: string[] = [];
  try {
    fs.copyFileSync(path.join(root, 'cluster.yaml'), path.join(cwd, 'cluster.yaml'));
    process.chdir(cwd);
    const p = prepare(argv, env, (l) => void lines.push(l));
    // The plan and the rollout read the live state: no generated block shows them.
    if (p instanceof Promise) throw new Error(`generated block: "${command}" reads the live state`);
    if (typeof p !== 'number') {
      p.staged.abort();
      lines.push(...p.summary);
    }
  } finally {
    process.chdir(before);
    fs.rmSync(cwd, { recursive: true, force: true });
  }
  return lines;
}

type JsonSchema = {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
};

/** One row of the reference: a field's dotted path and what the schema says of it. */
export interface Field {
  readonly path: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

/** Every field of the schema, depth first in the schema's own order (as in cluster.yaml). */
export function configFields(): Field[] {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const fields: Field[] = [];
  const walk = (s: JsonSchema, at: string, required: boolean) => {
    if (at !== '')
      fields.push({
        path: at,
        type: typeOf(s),
        default: s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : required ? 'required' : 'optional',
        description: s.description ?? '',
      });
    for (const [k, v] of Object.entries(s.properties ?? {}))
      walk(v, at ? `${at}.${k}` : k, (s.required ?? []).includes(k));
    if (s.items?.properties) walk({ ...s.items, description: undefined }, `${at}[]`, true);
    if (typeof s.additionalProperties === 'object' && s.additionalProperties.properties)
      walk(s.additionalProperties, `${at}.<name>`, true);
  };
  walk(schema, '', true);
  // An array of objects is listed once, by its items' fields.
  return fields.filter((f) => !/\[\]$/.test(f.path));
}

/** The field's type as the reference shows it: the JSON type with its enum, range or format. */
function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((e) => `\`${JSON.stringify(e)}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.type === 'array') return `list of ${s.items ? (s.items.properties ? 'objects' : typeOf(s.items)) : 'any'}`;
  if (s.type === 'object' && !s.properties && typeof s.additionalProperties === 'object')
    return `map of ${typeOf(s.additionalProperties)}`;
  const extra = [
    s.format,
    s.minimum !== undefined && s.maximum !== undefined && s.maximum < 2 ** 31 - 1
      ? `${s.minimum}–${s.maximum}`
      : undefined,
    s.minimum !== undefined && (s.maximum === undefined || s.maximum >= 2 ** 31 - 1) ? `≥ ${s.minimum}` : undefined,
  ].filter((x) => x !== undefined);
  return `${s.type ?? 'any'}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** The whole reference page. */
export function configReference(): string {
  const fields = configFields();
  const sections = [...new Set(fields.map((f) => f.path.split(/[.[]/)[0]!))];
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs` from the zod schema (config/schema.ts): do not edit. -->',
    '',
    'Every field of `cluster.yaml`, with its type, its default and what it does, generated from',
    'the schema ([config/schema.ts](../config/schema.ts)) that checks the file. "required" means',
    'the file must set it; "optional" means it may be left out and has no default. The checks',
    'across fields, and how to change the file, are in [configuration.md](configuration.md).',
    '',
    ...sections.flatMap((section) => [
      `## ${section}`,
      '',
      '| field | type | default | description |',
      '|---|---|---|---|',
      ...fields
        .filter((f) => f.path === section || f.path.startsWith(`${section}.`) || f.path.startsWith(`${section}[`))
        .map((f) => `| \`${f.path}\` | ${cell(f.type)} | ${cell(f.default)} | ${cell(f.description)} |`),
      '',
    ]),
  ].join('\n');
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function findRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

if (typeof module !== 'undefined' && require.main === module) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, content] of generatedDocs()) {
    const at = path.join(ROOT, file);
    if (fs.existsSync(at) && fs.readFileSync(at, 'utf8') === content) continue;
    stale++;
    if (check) console.log(`out of date: ${file}`);
    else {
      fs.writeFileSync(at, content);
      console.log(`wrote ${file}`);
    }
  }
  if (check && stale > 0) process.exitCode = 1;
}
