import { Testing } from 'cdk8s';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { k3sConfig } from '../node/k3s-config';
import { kubeProxy } from '../model/kube-proxy';
import { PATHS } from '../model/paths';
import { nodeFileName } from '../model/layout';
import { nodeFiles, renderNodes } from '../node/render';
import { runcmd } from '../node/runcmd';
import { addStack } from '../charts/stack';
import { ConfigError, loadConfig } from '../config/load';
import { type Config, configSchema } from '../config/schema';
import { OutputMismatchError, rereadManifests } from '../lib/reread';
import { kubectlPath } from './layer';
import { missingTools, systemTest } from './host';
import { run } from './process';
import { FC_SEED, production, synthToDir, tempDir, TEST_TOKEN, variant, variantFile } from './support';

/**
 * Hostile strings in every free-text field: each configuration is either refused with a
 * ConfigError, or its files mean the same to PyYAML (cloud-init's reader) and kubectl 1.34
 * (go-yaml) as the objects the generator built.
 */

type Segment = string | number | typeof RECORD_KEY;
/** A record's key (an env variable name) rather than a value. */
const RECORD_KEY = Symbol('record key');
interface Leaf {
  readonly path: readonly Segment[];
  /** An enum: only its listed words pass, so a refusal is all there is to check. */
  readonly closed: boolean;
}

/** Every string leaf of the configuration's JSON Schema: a new string field is picked up here. */
function stringLeaves(node: any, at: Segment[] = []): Leaf[] {
  if (node.type === 'string') return [{ path: at, closed: Array.isArray(node.enum) }];
  const out: Leaf[] = [];
  for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) out.push(...stringLeaves(alt, at));
  if (node.type === 'object') {
    for (const [k, v] of Object.entries(node.properties ?? {})) out.push(...stringLeaves(v, [...at, k]));
    if (node.propertyNames) out.push(...stringLeaves(node.propertyNames, [...at, RECORD_KEY]));
    if (node.additionalProperties && typeof node.additionalProperties === 'object')
      out.push(...stringLeaves(node.additionalProperties, [...at, 0]));
  }
  if (node.type === 'array' && node.items) out.push(...stringLeaves(node.items, [...at, 0]));
  return out;
}

const LEAVES = stringLeaves(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }));

/** Sets every optional string field of the production configuration, so each leaf has a value to replace. */
function fillOptional(raw: any): void {
  raw.cluster.privateNetwork = { cidr: '10.0.0.0/24', interface: 'enp7s0' };
  raw.cluster.nodes.forEach((n: any, i: number) =>
    Object.assign(n, { privateIPv4: `10.0.0.${i + 2}`, primaryIp: `${n.name}-ipv4` }),
  );
  raw.cluster.hetzner = {
    serverType: 'cx33',
    image: 'ubuntu-24.04',
    location: 'nbg1',
    firewall: 'honeydue',
    network: 'honeydue',
    metadataAddress: '169.254.169.254',
  };
  raw.k3s.sha256 = 'a'.repeat(64);
  raw.apps.admin.env = { NODE_ENV: 'production' };
  raw.apps.redis.storageClass = 'local-path';
  raw.firewall.operatorCidrs = ['198.51.100.0/24'];
  raw.cluster.systemReserved = { cpu: '1', memory: '2Gi' };
}

/** Sets `value` at a leaf (array item 0, a record's first entry); false when the fixture lacks the leaf. */
function setLeaf(raw: any, leaf: Leaf, value: string): boolean {
  let parent = raw;
  for (const seg of leaf.path.slice(0, -1)) {
    const key = typeof seg === 'number' && !Array.isArray(parent) ? Object.keys(parent)[seg] : seg;
    if (parent?.[key as string] === undefined) return false;
    parent = parent[key as string];
  }
  const last = leaf.path[leaf.path.length - 1]!;
  if (last === RECORD_KEY) {
    const [k, v] = Object.entries(parent)[0] ?? [];
    if (k === undefined) return false;
    delete parent[k];
    parent[value] = v;
  } else if (typeof last === 'number' && !Array.isArray(parent)) {
    const k = Object.keys(parent)[last];
    if (k === undefined) return false;
    parent[k] = value;
  } else {
    if (parent?.[last] === undefined) return false;
    parent[last] = value;
  }
  return true;
}

const shown = (leaf: Leaf) => leaf.path.map((s) => (s === RECORD_KEY ? '<key>' : String(s))).join('.');

describe('every string field of the schema', () => {
  test('is found in the schema (alias, env names and values, hosts, images, probe paths, secret names, URL, interface, Hetzner fields among them)', () => {
    const names = LEAVES.map(shown);
    for (const expected of [
      'cluster.nodes.0.alias',
      'apps.api.env.<key>',
      'apps.api.env.0',
      'apps.worker.env.0',
      'apps.api.host',
      'apps.redis.image',
      'apps.admin.probes.path',
      'apps.api.secretEnv.0',
      'k3s.releaseBaseUrl',
      'cluster.privateNetwork.interface',
      'cluster.hetzner.serverType',
      'cluster.hetzner.image',
      'cluster.hetzner.location',
    ]) {
      expect(names).toContain(expected);
    }
  });

  test.each(LEAVES.map((l) => [shown(l), l] as const))(
    '%s refuses NEL with a ConfigError at that field',
    (name, leaf) => {
      let set = false;
      let error: unknown;
      try {
        variant((raw) => {
          fillOptional(raw);
          set = setLeaf(raw, leaf, `${leaf.closed ? 'vxlan' : 'x'}\u0085bootcmd: [[touch, /tmp/pwned]]`);
        });
      } catch (e) {
        error = e;
      }
      // The fixture must hold every leaf; a new optional field needs a value in fillOptional().
      expect(set).toBe(true);
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.map((p) => p.replace(/^line \d+, /, ''));
      const field = name
        .replace(/\.<key>$/, '')
        .replace(/\.0$/, (m) => (leaf.path[leaf.path.length - 2] === 'env' ? '' : m));
      const mine = problems.filter((p) => p.startsWith(field));
      expect(mine).not.toEqual([]);
      if (!leaf.closed) expect(mine.join('\n')).toContain('contains U+0085 (NEL, a line break to YAML 1.1)');
    },
  );
});

/** Strings an attacker or a careless paste would try. */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\u0085bootcmd: [[touch, /tmp/pwned]]',
    'a\u2028b: c',
    'a\u2029b',
    '\ufeffx',
    '\t',
    'x\r\ny: z',
    '---',
    '...',
    '--- !!python/object/apply:os.system ["id"]',
    ' leading',
    'trailing ',
    '',
    'yes',
    'y',
    'on',
    '~',
    'null',
    '0644',
    '1:20',
    '2001-12-14',
    '0x1f',
    '.inf',
    '<<',
    '=',
    '&a *a',
    '!!binary aGk=',
    '%YAML 1.1',
    '@x',
    '`x`',
    '"quoted"',
    "'single'",
    '{a: b}',
    '[a, b]',
    '- a',
    '? a',
    ': a',
    'a: b',
    'a #b',
    '|',
    '>',
    'x'.repeat(5000),
  ),
  fc.string({
    unit: fc.constantFrom(...'-?:,[]{}#&*!|>\'"%@` \u0085\u2028\u2029\ufeff\t\r\n\u0000\u007f\u009fa.Z0/'.split('')),
    maxLength: 30,
  }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** Free-text fields where much hostile text is legitimately accepted, and so must be rendered faithfully. */
const OPEN_LEAVES = LEAVES.filter((l) =>
  [
    'apps.api.env.0',
    'apps.worker.env.0',
    'apps.admin.env.0',
    'apps.api.probes.path',
    'apps.admin.probes.path',
  ].includes(shown(l)),
);

interface Accepted {
  readonly config: Config;
  readonly out: string;
  readonly what: string;
}

/**
 * Runs one property over `leaves`: each case is refused with a ConfigError or synthesized with
 * the CLI's own main (whose re-read must not object). The accepted outputs are returned for
 * the external readers, which run once per property.
 */

function exercise(
  leaves: readonly Leaf[],
  numRuns: number,
  examples: readonly (readonly [string, string])[] = [],
): Accepted[] {
  const accepted: Accepted[] = [];
  fc.assert(
    fc.property(fc.constantFrom(...leaves), hostile, (leaf, value) => {
      const file = variantFile((raw) => {
        fillOptional(raw);
        setLeaf(raw, leaf, value);
      });
      let config: Config;
      try {
        config = loadConfig(file);
      } catch (e) {
        if (e instanceof ConfigError) return;
        throw e;
      }
      const out = synthToDir({ config: file });
      accepted.push({ config, out, what: `${shown(leaf)} = ${JSON.stringify(value)} (HONEYDUE_FC_SEED=${FC_SEED})` });
    }),
    {
      numRuns,
      seed: FC_SEED,
      examples: examples.map(([name, value]) => [LEAVES.find((l) => shown(l) === name)!, value] as [Leaf, string]),
    },
  );
  return accepted;
}

let cdk8sOutdir: string | undefined;

/** The objects the generator built for one accepted configuration, as JSON would carry them. */
function generated(config: Config) {
  // toJson writes nothing; one registered directory keeps Testing.app from making its own in /tmp.
  cdk8sOutdir ??= tempDir('hostile-cdk8s');
  const app = Testing.app({ outdir: cdk8sOutdir });
  addStack(app, config);
  const manifests = app.charts.map((c) => c.toJson());
  const nodes = Object.fromEntries(
    config.cluster.nodes.map((n) => [
      nodeFileName(n),
      {
        userData: { write_files: nodeFiles(config, n, TEST_TOKEN), runcmd: runcmd(kubeProxy(config.k3s)) },
        k3sConfig: k3sConfig(config, n),
      },
    ]),
  );
  return JSON.parse(JSON.stringify({ manifests, nodes }));
}

/** PyYAML (Debian's python3-yaml), one process for every file: the documents of each, as JSON. */
const PYYAML = `
import json, sys, yaml
out = {}
for name in json.load(sys.stdin):
    with open(name, encoding='utf-8') as f:
        docs = list(yaml.safe_load_all(f))
    entry = {'docs': docs}
    if '/cloud-init/' in name:
        entry['k3s'] = [yaml.safe_load(w['content']) for w in docs[0]['write_files'] if w['path'] == ${JSON.stringify(PATHS.k3sConfig)}]
    out[name] = entry
json.dump(out, sys.stdout, default=lambda o: {'not JSON': repr(o)})
`;

function manifestFiles(out: string): string[] {
  return fs
    .readdirSync(out)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort()
    .map((f) => path.join(out, f));
}

function checkReaders(accepted: readonly Accepted[]) {
  if (accepted.length === 0) return;
  const files = accepted.flatMap((a) => [
    ...manifestFiles(a.out),
    ...fs.readdirSync(path.join(a.out, 'cloud-init')).map((f) => path.join(a.out, 'cloud-init', f)),
  ]);
  const py = run(['/usr/bin/python3', '-c', PYYAML], { input: JSON.stringify(files) });
  expect(py.stderr).toBe('');
  const read = JSON.parse(py.stdout) as Record<string, { docs: unknown[]; k3s?: unknown[] }>;

  const kubectl = run([
    kubectlPath(),
    'label',
    '--local',
    ...accepted.flatMap((a) => ['-f', a.out]),
    'honeydue-reader-check=1',
    '-o',
    'json',
  ]);
  expect(kubectl.stderr).toBe('');
  // One pretty-printed JSON object per manifest object, one after the other.
  const items: any[] = kubectl.stdout
    .trim()
    .split(/(?<=^\})\n(?=\{)/m)
    .map((o) => JSON.parse(o));
  const withoutLabel = items.map((o) => {
    delete o.metadata.labels['honeydue-reader-check'];
    if (Object.keys(o.metadata.labels).length === 0) delete o.metadata.labels;
    return o;
  });

  let k = 0;
  for (const a of accepted) {
    const want = generated(a.config);
    const manifests = manifestFiles(a.out);
    manifests.forEach((f, i) =>
      expect({ what: a.what, file: f, docs: read[f]!.docs }).toEqual({
        what: a.what,
        file: f,
        docs: want.manifests[i],
      }),
    );
    const objects = want.manifests.flat();
    expect({ what: a.what, kubectl: withoutLabel.slice(k, k + objects.length) }).toEqual({
      what: a.what,
      kubectl: objects,
    });
    k += objects.length;
    for (const [name, node] of Object.entries<any>(want.nodes)) {
      const f = path.join(a.out, 'cloud-init', name);
      expect({ what: a.what, file: f, docs: read[f]!.docs, k3s: read[f]!.k3s }).toEqual({
        what: a.what,
        file: f,
        docs: [node.userData],
        k3s: [node.k3sConfig],
      });
    }
  }
  expect(k).toBe(withoutLabel.length);
}

const readers = systemTest(
  fs.existsSync('/usr/bin/python3')
    ? missingTools(['unzip'], false)
    : 'missing /usr/bin/python3 with python3-yaml (apt-get install python3-yaml)',
);

describe('hostile strings', () => {
  readers(
    'in any string field: refused, or read by PyYAML and kubectl as generated',
    () => {
      // Values YAML 1.1 readers take for booleans, dates or merge keys, in fields that accept them.
      const tricky = ['yes', 'y', 'on', 'n', '2001-12-14', '0644', '1e3'].map(
        (v) => ['cluster.nodes.0.name', v] as const,
      );
      checkReaders(exercise(LEAVES, 50, tricky));
    },
    120_000,
  );

  readers(
    'in env values and probe paths, where most text is accepted: read by PyYAML and kubectl as generated',
    () => {
      const accepted = exercise(OPEN_LEAVES, 30, [
        ['apps.api.env.0', 'y'],
        ['apps.api.env.0', '--- !!python/object/apply:os.system ["id"]'],
        ['apps.api.env.0', ' leading and trailing '],
        ['apps.worker.env.0', '<<'],
        ['apps.admin.env.0', '1:20'],
        ['apps.admin.probes.path', "/a/'b'?c=d&e=[f]:#"],
      ]);
      expect(accepted.length).toBeGreaterThan(5);
      checkReaders(accepted);
    },
    120_000,
  );
});

describe('the issue’s exploits', () => {
  test('NEL and a bootcmd in a node alias: refused, so PyYAML never sees a top-level bootcmd', () => {
    const exploit = 'hetzner1\u0085bootcmd: [[touch, /tmp/pwned]]';
    expect(() => variant((raw) => (raw.cluster.nodes[0]!.alias = exploit))).toThrow(
      /cluster\.nodes\.0\.alias: contains U\+0085 \(NEL/,
    );
  });

  test('NEL and a bootcmd in a node alias that bypasses the schema: the re-read refuses to render', () => {
    const config = production();
    const nodes = config.cluster.nodes.map((n, i) =>
      i === 0 ? { ...n, alias: 'hetzner1\u0085bootcmd: [[touch, /tmp/pwned]]' } : n,
    );
    expect(() => renderNodes({ ...config, cluster: { ...config.cluster, nodes } }, { token: TEST_TOKEN })).toThrow(
      new OutputMismatchError(
        `cloud-init/${nodeFileName(nodes[0]!)}`,
        '(text)',
        'line 2 holds U+0085, which YAML 1.1 readers (cloud-init, kubectl) treat as a line break or refuse',
      ),
    );
  });

  test.each([
    ['NEL', '\u0085'],
    ['LINE SEPARATOR', '\u2028'],
    ['PARAGRAPH SEPARATOR', '\u2029'],
  ])('%s in an env value: refused by the schema', (_name, char) => {
    expect(() => variant((raw: any) => (raw.apps.api.env.DB_SSLMODE = `require${char}x`))).toThrow(
      /apps\.api\.env\.DB_SSLMODE: contains U\+(0085|2028|2029)/,
    );
  });

  test.each([
    ['NEL', '\u0085'],
    ['LINE SEPARATOR', '\u2028'],
    ['PARAGRAPH SEPARATOR', '\u2029'],
  ])('%s in an env value that bypasses the schema: the re-read refuses the manifest', (_name, char) => {
    const config = production();
    const bad = {
      ...config,
      apps: { ...config.apps, api: { ...config.apps.api, env: { DB_SSLMODE: `require${char}x` } } },
    };
    const dir = tempDir('wall');
    const app = Testing.app({ outdir: dir });
    addStack(app, bad);
    app.synth();
    expect(() =>
      rereadManifests(
        dir,
        app.charts.map((c) => c.toJson()),
        'dist',
      ),
    ).toThrow(OutputMismatchError);
    expect(() =>
      rereadManifests(
        dir,
        app.charts.map((c) => c.toJson()),
        'dist',
      ),
    ).toThrow(/^dist\/0002-api\.k8s\.yaml: .*U\+(0085|2028|2029)/);
  });
});
