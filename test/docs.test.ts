/**
 * The docs (README.md, docs/): what they show of the code is what the code does now, and every
 * reference the code prints leads somewhere. `npm run docs` (scripts/docs.ts) regenerates the
 * generated parts; these tests fail when a commit forgot to.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { configSchema } from '../config/schema';
import { commandOutput, CONFIG_REFERENCE, configFields, generatedDocs, pagesWithBlocks } from '../scripts/docs';
import { cli, cliReadyBeforeAll } from './cli';
import { ROOT, tempDir } from './support';

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('the generated docs are current', () => {
  const generated = generatedDocs();

  test.each([...generated.keys()])('%s equals what npm run docs writes', (file) => {
    // On a failure: run `npm run docs` and commit the result.
    expect(read(file)).toBe(generated.get(file));
  });

  test('the configuration reference lists every field of the schema with its type, default and description', () => {
    const fields = configFields();
    const rows = read(CONFIG_REFERENCE)
      .split('\n')
      .filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(fields.length);
    // Every top-level key and every field is there, and each is described.
    for (const key of Object.keys(configSchema.shape)) expect(fields.map((f) => f.path)).toContain(key);
    expect(fields.filter((f) => f.description === '').map((f) => f.path)).toEqual([]);
    expect(fields.find((f) => f.path === 'cluster.nodes[].publicIPv4')).toMatchObject({ default: 'required' });
    expect(fields.find((f) => f.path === 'k3s.kubeProxyMode')).toMatchObject({
      type: '`"ipvs"` \\| `"iptables"`',
      default: '`"ipvs"`',
    });
  });

  test('every generated block shows a command the tool runs, and the pages hold the runbooks they name', () => {
    const pages = pagesWithBlocks();
    const commands = pages.flatMap((p) => [...read(p).matchAll(/<!-- generated: (.+?) -->/g)].map((m) => m[1]));
    expect(commands).toEqual(
      expect.arrayContaining([
        'npm run -s synth',
        'npm run -s synth -- --help',
        'npm run -s synth -- --runbook restore',
        'npm run -s synth -- --runbook etcd-secret',
        'npm run -s synth -- --runbook adopt-snapshots',
        'npm run -s synth -- --runbook rebuild --node hetzner2',
      ]),
    );
  });
});

describe('the committed runbook output is what the CLI prints', () => {
  cliReadyBeforeAll();

  test.each(['--runbook restore', '--runbook rebuild --node hetzner2', '--help'])(
    'npm run -s synth -- %s, run as the operator runs it, prints the block in the docs',
    (args) => {
      const cwd = tempDir('docs-cli');
      fs.copyFileSync(path.join(ROOT, 'cluster.yaml'), path.join(cwd, 'cluster.yaml'));
      const r = cli(args.split(' '), {}, { cwd });
      expect(r.status).toBe(0);
      const command = `npm run -s synth -- ${args}`;
      const block = pagesWithBlocks()
        .map((p) => read(p))
        .map((t) => new RegExp(`<!-- generated: ${command} -->\\n\`\`\`text\\n\\$ .*\\n([\\s\\S]*?)\`\`\`\\n`).exec(t))
        .find((m) => m)!;
      expect(block[1]).toBe(r.stdout);
    },
  );
});

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function headings(file: string): string[] {
  let inCode = false;
  const found: string[] = [];
  for (const line of read(file).split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const m = /^#{1,6} (.*)$/.exec(line);
    if (!inCode && m) found.push(m[1]!);
  }
  return found;
}

/** The pages the README links to under docs/. */
const linkedFromReadme = () => [...read('README.md').matchAll(/\]\((docs\/[\w-]+\.md)\)/g)].map((m) => m[1]!);

/** Every string the product's code can print: its string and template literals (not imports, not comments). */
function sourceStrings(): string[] {
  const dirs = ['cli', 'config', 'model', 'node', 'operator', 'lib', 'charts'];
  const files = [
    'main.ts',
    ...dirs.flatMap((d) =>
      fs
        .readdirSync(path.join(ROOT, d), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(d, f)),
    ),
  ];
  const out: string[] = [];
  for (const file of files) {
    const src = ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node): void => {
      if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'require') return;
      if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) out.push(n.text);
      else if (ts.isTemplateExpression(n))
        out.push([n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join('…'));
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  return out;
}

/** What the CLI prints for the committed config: the summaries, --help and every runbook but the rollout (it needs the live plan). */
function printed(): string[] {
  const nodes = ['hetzner1', 'hetzner2', 'hetzner3'];
  return [
    'npm run -s synth',
    'K3S_TOKEN=… npm run -s synth',
    'npm run -s synth -- --help',
    'npm run -s synth -- --runbook etcd-secret',
    'npm run -s synth -- --runbook restore',
    'npm run -s synth -- --runbook adopt-snapshots',
    ...nodes.map((n) => `npm run -s synth -- --runbook rebuild --node ${n}`),
  ].flatMap((c) => commandOutput(c));
}

/** The references in a text: docs pages (with an anchor), "README, <section>", and paths into this repository. */
function references(text: string): string[] {
  const refs = [
    ...[...text.matchAll(/\bdocs\/[\w-]+\.md(?:#[\w-]+)?/g)].map((m) => m[0]),
    ...[...text.matchAll(/\bREADME, "?([^)"]+?)"?\)/g)].map((m) => `README, ${m[1]}`),
  ];
  // A file in one of this repository's own directories (upstream paths such as pkg/etcd/… are
  // not ours; kubectl's node/<name> is no file: a file has an extension).
  const ours = 'cli|config|model|node|operator|lib|charts|test|scripts|vendor|bench|crds|imports|\\.schema|\\.ci';
  for (const m of text.matchAll(new RegExp(`(?<![\\w/.-])((?:${ours})/[\\w./-]*\\.[a-z]+)(?![\\w/-])`, 'g')))
    if (!m[1]!.startsWith('docs/')) refs.push(m[1]!);
  return refs;
}

/** Why `ref` does not resolve, or undefined when it does. */
function unresolved(ref: string): string | undefined {
  const readme = /^README, (.+)$/.exec(ref);
  if (readme) {
    // "README, X": a section X of the README, or of a page the README links to (the README is the door).
    const want = readme[1]!.toLowerCase();
    const pages = ['README.md', ...linkedFromReadme()];
    return pages.some((p) => headings(p).some((h) => h.toLowerCase() === want))
      ? undefined
      : `no section "${readme[1]}" in README.md or a page it links to`;
  }
  const [file, anchor] = ref.split('#');
  if (!fs.existsSync(path.join(ROOT, file!))) return `${file} does not exist`;
  if (anchor !== undefined && !headings(file!).map(slug).includes(anchor)) return `${file} has no section #${anchor}`;
  return undefined;
}

describe('every reference the code prints resolves', () => {
  const refs = [...new Set([...sourceStrings(), ...printed()].flatMap(references))].sort();

  test('the collector finds the references the summary and the runbooks print', () => {
    expect(refs).toEqual(
      expect.arrayContaining([
        'docs/build-a-node.md',
        'docs/plan-and-apply.md#the-first-apply',
        'docs/secrets.md#the-k3s-cluster-token',
        'docs/backups-and-restore.md#etcd-snapshots',
        'docs/secrets.md#secrets-encryption',
        '.schema/cluster.schema.json',
      ]),
    );
  });

  test('each docs page, section and repository path named in a summary, error, runbook or --help exists', () => {
    expect(refs.map((r) => [r, unresolved(r)]).filter(([, why]) => why !== undefined)).toEqual([]);
  });

  test('an unknown page, section or path is reported', () => {
    expect(unresolved('docs/no-such-page.md')).toBe('docs/no-such-page.md does not exist');
    expect(unresolved('docs/build-a-node.md#no-such-section')).toBe(
      'docs/build-a-node.md has no section #no-such-section',
    );
    expect(unresolved('README, No such section')).toMatch(/^no section/);
    expect(unresolved('operator/no-such-file.ts')).toBe('operator/no-such-file.ts does not exist');
  });

  test('every link between the pages resolves too', () => {
    const broken: string[] = [];
    for (const page of ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)]) {
      for (const [, target] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^https?:/.test(target!)) continue;
        const [file, anchor] = target!.split('#');
        const resolved = file ? path.normalize(path.join(path.dirname(page), file)) : page;
        if (!fs.existsSync(path.join(ROOT, resolved))) broken.push(`${page}: ${target} (no ${resolved})`);
        else if (anchor && resolved.endsWith('.md') && !headings(resolved).map(slug).includes(anchor))
          broken.push(`${page}: ${target} (no section)`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the README is the door', () => {
  const readme = read('README.md');
  const lines = readme.split('\n');

  test('its first commands are the two set-up commands: synth on the embedded config, and all the tests', () => {
    // The title, a blank line, then the first fenced block: nothing else comes before it.
    expect(lines.slice(0, 3)).toEqual(['# honeydue-infra', '', '```sh']);
    const end = lines.indexOf('```', 3);
    const commands = lines.slice(3, end).map((l) => l.replace(/\s+#.*$/, ''));
    expect(commands).toEqual(['npm ci && npm run synth', 'bash .ci/run']);
    // No other command block comes before the rest of the README.
    expect(lines.slice(0, 3).some((l) => l.startsWith('    '))).toBe(false);
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.scripts.synth).toBe('node --snapshot-blob build/synth.blob --');
  });

  test('.ci/run runs the commands the README says it runs, after npm ci', () => {
    const said = /bash \.ci\/run\s+#.*then (.*)$/m.exec(readme)![1]!;
    const named = said.split(/, | and /).map((s) => s.trim());
    expect(named).toEqual(['npm run lint', 'npm test', 'npm run test:vm']);
    const run = read('.ci/run').split('\n');
    const at = (c: string) => run.findIndex((l) => l.trim() === c);
    expect(at('npm ci --no-audit --no-fund')).toBeGreaterThan(0);
    for (const c of named) expect(at(c)).toBeGreaterThan(at('npm ci --no-audit --no-fund'));
  });

  test('it stays short: at most 150 lines, with the generated output', () => {
    expect(lines.length).toBeLessThanOrEqual(150);
  });
});
