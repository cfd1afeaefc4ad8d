/**
 * The layers (README, "Layout") as the linter and the import graph see them: what the config
 * yields is derived once and handed on as data, each module names the slice of the config it
 * reads, and so a value passes through few files from the command line to where it is written
 * (scripts/import-paths.js counts them; issue 16 asks for 10 or fewer).
 */
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './dirs';
import { explain, run } from './process';
import { ROOT } from './support';

const SCRIPT = path.join(ROOT, 'scripts', 'import-paths.js');
const LIMIT = 10;
/** The product's sources: what the import graph is drawn over. */
const PRODUCT = ['main.ts', 'config', 'model', 'node', 'charts', 'operator', 'cli', 'lib'];

/** The product's sources copied into a fresh directory, each file changed by `edits` (path → new text from old). */
function productCopy(edits: Record<string, (text: string) => string>): string {
  const dir = tempDir('layers');
  for (const entry of PRODUCT) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const p = path.join(dir, file);
    fs.writeFileSync(p, edit(fs.readFileSync(p, 'utf8')));
  }
  return dir;
}

/** The two paths, counted over `root`: name → files. Throws when the script fails otherwise than over the limit. */
function pathCounts(root: string): { counts: Record<string, number>; over: string } {
  const r = run([process.execPath, SCRIPT, '--root', root, '--max', String(LIMIT)]);
  if (r.status !== 0 && r.status !== 2) throw new Error(explain(r));
  const counts = Object.fromEntries(
    [...r.stdout.matchAll(/^(\d+) files: (.+?) \(defined in/gm)].map((m) => [m[2]!, Number(m[1])]),
  );
  expect(Object.keys(counts)).toHaveLength(2);
  return { counts, over: r.status === 2 ? r.stderr : '' };
}

/** ESLint's verdict on `text` as if it were the file `file` of this tree. */
const lint = (file: string, text: string) =>
  run([path.join(ROOT, 'node_modules', '.bin', 'eslint'), '--stdin', '--stdin-filename', file], {
    input: text,
    cwd: ROOT,
  });

const IPV4 = "a node's public IPv4 → UFW user.rules, Cloud Firewall JSON, hcloud server create";
const SNAPSHOTS = 'etcdSnapshots → K3s config.yaml, restore runbook';

describe('a value passes through few files (scripts/import-paths.js)', () => {
  test(`a node's IPv4 and etcdSnapshots each pass through ${LIMIT} files or fewer`, () => {
    const { counts, over } = pathCounts(ROOT);
    expect(over).toBe('');
    expect(counts[IPV4]).toBeLessThanOrEqual(LIMIT);
    expect(counts[SNAPSHOTS]).toBeLessThanOrEqual(LIMIT);
  });

  test.each([
    [
      IPV4,
      'the runbooks build the hcloud line themselves, as before it was handed on',
      {
        'operator/runbooks/rebuild.ts': (t: string) =>
          `${t}\nimport { nodeCommands } from '../hcloud';\nexport const again = nodeCommands;\n`,
        'operator/runbooks/restore.ts': (t: string) =>
          `${t}\nimport { nodeCommands } from '../hcloud';\nexport const again = nodeCommands;\n`,
      },
    ],
    [
      SNAPSHOTS,
      'the model modules the K3s config reads take the whole Config',
      Object.fromEntries(
        ['model/etcd-backup.ts', 'model/kube-proxy.ts', 'model/topology.ts'].map((f) => [
          f,
          (t: string) => `${t}\nexport type Whole = import('../config/schema').Config;\n`,
        ]),
      ),
    ],
    [
      SNAPSHOTS,
      'the runbook context resolves the config file itself, as the CLI does',
      {
        'operator/runbooks/context.ts': (t: string) =>
          `${t}\nimport { configFileFrom } from '../../config/load';\nexport const again = configFileFrom;\n`,
      },
    ],
  ])('the count bites: %s goes over when %s', (name, _why, edits) => {
    const { counts, over } = pathCounts(productCopy(edits));
    expect(counts[name]).toBeGreaterThan(LIMIT);
    expect(over).toContain(`${name}: ${counts[name]} files, over --max ${LIMIT}`);
  });
});

describe('the linter keeps each layer to the layers below it (eslint.config.mjs, LAYERS)', () => {
  test.each([
    ['config/load.ts', "import { PATHS } from '../model/paths';\nexport const x = PATHS;\n"],
    ['model/topology.ts', "import { ufwRules } from '../node/ufw';\nexport const x = ufwRules;\n"],
    ['node/ufw.ts', "import { shellWord } from '../operator/shell';\nexport const x = shellWord;\n"],
    ['operator/summary.ts', "import { ufwRules } from '../node/ufw';\nexport const x = ufwRules;\n"],
    ['charts/stack.ts', "import { renderNodes } from '../node/render';\nexport const x = renderNodes;\n"],
  ])('%s may not import a layer beside or above it', (file, text) => {
    const r = lint(file, text);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file.split('/')[0]}/ may import only`);
  });
});

describe('the linter keeps what is derived once from being derived again (eslint.config.mjs)', () => {
  test.each([
    ['operator/summary.ts', "import { nodeCommands } from './hcloud';\nexport const x = nodeCommands;\n"],
    ['operator/runbooks/rebuild.ts', "import { nodeCommands } from '../hcloud';\nexport const x = nodeCommands;\n"],
    [
      'operator/plan/index.ts',
      "import { hcloudFirewallRules } from '../../model/cloud-firewall';\nexport const x = hcloudFirewallRules;\n",
    ],
    [
      'node/ufw.ts',
      "import { hcloudFirewallRules } from '../model/cloud-firewall';\nexport const x = hcloudFirewallRules;\n",
    ],
  ])('%s may not import the builder of the build lines or of the Cloud Firewall rules', (file, text) => {
    const r = lint(file, text);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('derived once, in cli/synth.ts');
  });

  test('cli/synth.ts, which derives them, may', () => {
    const r = lint(
      'cli/synth.ts',
      "import { nodeCommands } from '../operator/hcloud';\nimport { hcloudFirewallRules } from '../model/cloud-firewall';\nexport const x = [nodeCommands, hcloudFirewallRules];\n",
    );
    expect(explain(r)).toContain('(exit 0)');
  });
});
