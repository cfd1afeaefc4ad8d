import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { shellLine } from '../operator/shell';
import { nodeCommands } from '../operator/hcloud';
import { loadConfig } from '../config/load';
import { fingerprintOf, NODE_FILE_LABEL } from '../model/node-record';
import type { Config, RawConfig } from '../config/schema';
import { HcloudStandin, type RecordedRequest } from './hcloud/standin';
import { shellWords } from './hcloud/shell';
import { missingTools, systemTest } from './host';
import { type Outcome, runAsync } from './process';
import { type ConfigChange, production, synthToDir, variant, variantFile } from './support';

/**
 * The commands the summary prints, run by the real hcloud CLI (Debian's hcloud-cli) against a
 * stand-in of the Hetzner API on loopback: what the CLI sends is what Hetzner would receive.
 */
const withHcloud = systemTest(missingTools(['hcloud'], false));

/**
 * Renders a variant of cluster.yaml with `main` (as `npm run bootstrap` does) and returns the
 * config, the output directory, a scratch directory beside it and the summary lines.
 */
function render(change: ConfigChange, clusterToken: string) {
  const configFile = variantFile(change);
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const out = synthToDir({ config: configFile, args: ['--bootstrap-only'], env: { K3S_TOKEN: clusterToken }, log });
  return { config: loadConfig(configFile), dir: path.dirname(out), out, lines };
}

/** Runs every printed hcloud command in order against a fresh stand-in, seeded with what the operator owns before rendering. */
async function runPrinted(config: Config, dir: string, lines: string[]) {
  const commands = lines.filter((l) => l.startsWith('  hcloud ')).map((l) => shellWords(l.trim()));
  const standin = new HcloudStandin({
    primaryIps: config.cluster.nodes.map((n) => ({
      name: n.primaryIp,
      ip: n.publicIPv4,
      location: config.cluster.hetzner.location,
    })),
    networks: config.cluster.privateNetwork
      ? [{ name: config.cluster.hetzner.network, ipRange: config.cluster.privateNetwork.cidr }]
      : [],
  });
  const endpoint = await standin.start();
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  const apiToken = `api-token-${randomBytes(24).toString('hex')}`;
  // A private HOME and HCLOUD_CONFIG: no operator's ~/.config/hcloud/cli.toml is read.
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    HCLOUD_CONFIG: path.join(home, 'cli.toml'),
    HCLOUD_ENDPOINT: endpoint,
    HCLOUD_TOKEN: apiToken,
  };
  const outcomes: Outcome[] = [];
  try {
    for (const argv of commands) {
      const o = await runAsync(argv, { env, timeoutMs: 60_000 });
      outcomes.push(o);
      if (o.status !== 0) throw new Error(`${argv.join(' ')} exited ${o.status}:\n${o.stdout}${o.stderr}`);
    }
  } finally {
    await standin.stop();
  }
  return { commands, outcomes, requests: standin.requests, state: standin.state(), apiToken };
}

const json = (r: RecordedRequest) => JSON.parse(r.body);
const find = (rs: RecordedRequest[], method: string, pattern: RegExp) =>
  rs.filter((r) => r.method === method && pattern.test(r.url));

describe.each<[string, (raw: RawConfig) => void]>([
  ['cluster.yaml', () => {}],
  [
    'a private network, operators and Cloudflare-only web ports',
    (raw) => {
      raw.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
      raw.cluster.nodes = raw.cluster.nodes.map((n, i) => ({
        ...n,
        publicIPv4: `203.0.113.${10 + i}`,
        privateIPv4: `10.0.0.${2 + i}`,
        primaryIp: `ip-${n.name}`,
      }));
      raw.cluster.hetzner = { firewall: 'hd-fw', network: 'hd-net' };
      raw.firewall = { operatorCidrs: ['198.51.100.0/24'], web: 'cloudflareOnly' };
    },
  ],
])('the printed hcloud commands for %s, run by the real hcloud against a stand-in API', (_name, change) => {
  const clusterToken = `cluster-token-${randomBytes(24).toString('hex')}`;
  const { config, dir, out, lines } = render(change, clusterToken);
  const rulesFile = path.join(out, 'hcloud', 'firewall.rules');
  let run: Awaited<ReturnType<typeof runPrinted>>;

  withHcloud(
    'all succeed, in the printed order',
    async () => {
      run = await runPrinted(config, dir, lines);
      const perNode = config.cluster.privateNetwork
        ? [
            'hcloud primary-ip describe',
            'hcloud server create',
            'hcloud server attach-to-network',
            'hcloud server poweron',
          ]
        : ['hcloud primary-ip describe', 'hcloud server create'];
      expect(run.commands.map((c) => c.slice(0, 3).join(' '))).toEqual([
        'hcloud firewall create',
        'hcloud firewall replace-rules',
        ...config.cluster.nodes.flatMap(() => perNode),
      ]);
    },
    180_000,
  );

  withHcloud('the firewall is created empty, then set_rules carries exactly the generated rules file', () => {
    const [create] = find(run.requests, 'POST', /^\/v1\/firewalls$/);
    expect(json(create!)).toEqual({ name: config.cluster.hetzner.firewall, labels: {} });
    const setRules = find(run.requests, 'POST', /^\/v1\/firewalls\/\d+\/actions\/set_rules$/);
    expect(setRules).toHaveLength(1);
    expect(json(setRules[0]!)).toEqual({ rules: JSON.parse(fs.readFileSync(rulesFile, 'utf8')) });
  });

  withHcloud(
    'primary-ip describe shows each node’s configured address with auto-delete off, before its server is created',
    () => {
      for (const n of config.cluster.nodes) {
        const describe = run.outcomes.find((o) => o.argv.join(' ') === `hcloud primary-ip describe ${n.primaryIp}`)!;
        expect(describe.stdout).toMatch(new RegExp(`^IP:\\s+${n.publicIPv4.replace(/\./g, '\\.')}$`, 'm'));
        expect(describe.stdout).toMatch(/^Auto delete:\s+no$/m);
        expect(run.outcomes.indexOf(describe)).toBeLessThan(
          run.outcomes.findIndex((o) => o.argv.includes('create') && o.argv.includes(n.name)),
        );
      }
    },
  );

  withHcloud('each server create carries the node’s Primary IP, the firewall, and its user-data byte for byte', () => {
    const creates = find(run.requests, 'POST', /^\/v1\/servers$/).map(json);
    const fw = run.state.firewalls.find((f) => f.name === config.cluster.hetzner.firewall)!;
    expect(creates.map((b) => b.name)).toEqual(config.cluster.nodes.map((n) => n.name));
    config.cluster.nodes.forEach((n, i) => {
      const body = creates[i]!;
      const ip = run.state.primaryIps.find((p) => p.id === body.public_net.ipv4)!;
      expect({ name: ip.name, ip: ip.ip }).toEqual({ name: n.primaryIp, ip: n.publicIPv4 });
      expect(body.firewalls).toEqual([{ firewall: fw.id }]);
      expect(body).toMatchObject({
        server_type: config.cluster.hetzner.serverType,
        location: config.cluster.hetzner.location,
      });
      expect(body).not.toHaveProperty('datacenter');
      const file = fs.readFileSync(
        path.join(
          out,
          'cloud-init',
          fs.readdirSync(path.join(out, 'cloud-init')).find((f) => f.startsWith(`${n.name}.`))!,
        ),
      );
      expect(Buffer.from(body.user_data, 'utf8').equals(file)).toBe(true);
      // Labelled with the fingerprint of the node file's record: what npm run plan compares.
      const record = fs.readFileSync(path.join(out, 'nodes', `${n.name}.record`), 'utf8');
      expect(body.labels).toEqual({ [NODE_FILE_LABEL]: fingerprintOf(record) });
    });
    // Hetzner's side of it: every server came up on the address its files were rendered for.
    expect(run.state.servers.map((s) => s.public_net.ipv4.ip)).toEqual(config.cluster.nodes.map((n) => n.publicIPv4));
  });

  withHcloud('with a private network each server joins it at its privateIPv4; without one, nothing is attached', () => {
    const attaches = find(run.requests, 'POST', /^\/v1\/servers\/\d+\/actions\/attach_to_network$/).map(json);
    const net = run.state.networks.find((n) => n.name === config.cluster.hetzner.network);
    expect(attaches).toEqual(
      config.cluster.privateNetwork ? config.cluster.nodes.map((n) => ({ network: net!.id, ip: n.privateIPv4 })) : [],
    );
    for (const s of run.state.servers) {
      expect(s.private_net.map((p: { ip: string }) => p.ip)).toEqual(
        config.cluster.privateNetwork ? [config.cluster.nodes.find((n) => n.name === s.name)!.privateIPv4] : [],
      );
    }
  });

  withHcloud(
    'with a private network each server is created stopped and powered on only after it joined the network, so its first boot has its private address',
    () => {
      const creates = find(run.requests, 'POST', /^\/v1\/servers$/);
      for (const n of config.cluster.nodes) {
        const server = run.state.servers.find((s) => s.name === n.name)!;
        const create = creates.find((r) => json(r).name === n.name)!;
        const attach = find(run.requests, 'POST', new RegExp(`^/v1/servers/${server.id}/actions/attach_to_network$`));
        const powerOn = find(run.requests, 'POST', new RegExp(`^/v1/servers/${server.id}/actions/poweron$`));
        if (config.cluster.privateNetwork) {
          expect(json(create).start_after_create).toBe(false);
          expect(attach.map(json)).toEqual([{ network: expect.any(Number), ip: n.privateIPv4 }]);
          expect(powerOn).toHaveLength(1);
          expect(powerOn[0]!.body).toBe('');
          const at = (r: RecordedRequest) => run.requests.indexOf(r);
          expect(at(create)).toBeLessThan(at(attach[0]!));
          expect(at(attach[0]!)).toBeLessThan(at(powerOn[0]!));
        } else {
          // hcloud 1.30.3 always sends the flag; its default starts the server with the create.
          expect(json(create).start_after_create).toBe(true);
          expect([attach, powerOn]).toEqual([[], []]);
        }
        // What the node's first boot saw: the stand-in records its private addresses when it first started.
        expect(run.state.firstBoot.get(n.name)).toEqual(config.cluster.privateNetwork ? [n.privateIPv4] : []);
        expect(server.status).toBe('running');
      }
    },
  );

  withHcloud('the cluster token appears in no request and no CLI output, except the user_data it belongs in', () => {
    const userData = find(run.requests, 'POST', /^\/v1\/servers$/).map((r) => json(r).user_data as string);
    expect(userData.every((u) => u.includes(clusterToken))).toBe(true); // the check below is not vacuous
    for (const r of run.requests) {
      const body = r.body ? JSON.stringify({ ...json(r), user_data: undefined }) : '';
      expect(`${r.method} ${r.url} ${JSON.stringify(r.headers)} ${body}`).not.toContain(clusterToken);
    }
    for (const o of run.outcomes) expect(o.stdout + o.stderr).not.toContain(clusterToken);
    expect(lines.join('\n')).not.toContain(clusterToken);
  });

  withHcloud('the API token travels only in the Authorization header', () => {
    for (const r of run.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${run.apiToken}`);
      const { authorization: _, ...rest } = r.headers;
      expect(`${r.url} ${JSON.stringify(rest)} ${r.body}`).not.toContain(run.apiToken);
    }
    for (const o of run.outcomes) expect(o.stdout + o.stderr).not.toContain(run.apiToken);
  });
});

describe('the order of a node’s commands, without the CLI', () => {
  const head = (c: string[]) => c.slice(0, 3).join(' ');

  test('with a private network the server is created stopped, attached at its privateIPv4, then powered on', () => {
    const c = variant((raw) => {
      raw.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
      raw.cluster.nodes.forEach((n, i) => (n.privateIPv4 = `10.0.0.${i + 2}`));
    });
    const node = c.cluster.nodes[1]!;
    const cmds = nodeCommands(c.cluster, node, 'node.user-data', 'f'.repeat(40));
    expect(cmds.map(head)).toEqual([
      'hcloud primary-ip describe',
      'hcloud server create',
      'hcloud server attach-to-network',
      'hcloud server poweron',
    ]);
    expect(cmds[1]!.at(-1)).toBe('--start-after-create=false');
    expect(cmds[2]!.slice(3)).toEqual([node.name, '--network', c.cluster.hetzner.network, '--ip', node.privateIPv4]);
    expect(cmds[3]).toEqual(['hcloud', 'server', 'poweron', node.name]);
  });

  test('without one, server create starts the server as it always did', () => {
    const c = production();
    const cmds = nodeCommands(c.cluster, c.cluster.nodes[0]!, 'node.user-data', 'f'.repeat(40));
    expect(cmds.map(head)).toEqual(['hcloud primary-ip describe', 'hcloud server create']);
    expect(cmds.flat().some((w) => w.startsWith('--start-after-create'))).toBe(false);
  });
});

describe('printed commands are shell-safe', () => {
  test('a path with spaces and quotes is quoted so that a shell reads back the same argv', () => {
    const argv = ['hcloud', 'server', 'create', '--user-data-from-file', "/tmp/it's a dir/node.user-data"];
    expect(shellLine(argv)).toBe("hcloud server create --user-data-from-file '/tmp/it'\\''s a dir/node.user-data'");
    expect(shellWords(shellLine(argv))).toEqual(argv);
  });

  test('anything a shell would expand is refused by the splitter rather than guessed', () => {
    for (const line of ['hcloud $HOME', 'hcloud `id`', 'hcloud a;b', 'hcloud "x"', 'hcloud a*'])
      expect(() => shellWords(line)).toThrow(/a shell would interpret/);
  });
});

describe('a node that runs today, adopted with the one-time commands of docs/build-a-node.md', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'docs', 'build-a-node.md'), 'utf8');
  const row = readme.split('\n').find((l) => l.startsWith('| **runs today**'));
  const templates = [...(row ?? '').matchAll(/`(hcloud [^`]+)`/g)].map((m) => m[1]!);
  const rebuildRow = readme.split('\n').find((l) => l.startsWith('| **is rebuilt**'));
  const [deleteTemplate] = [...(rebuildRow ?? '').matchAll(/`(hcloud server delete [^`]+)`/g)].map((m) => m[1]!);

  withHcloud(
    'its Primary IP takes the configured name with auto-delete off and the server goes behind the firewall; rebuilt, it comes back on the same address',
    async () => {
      expect(templates.map((t) => t.split(' ').slice(0, 3).join(' '))).toEqual([
        'hcloud server describe',
        'hcloud primary-ip update',
        'hcloud firewall apply-to-resource',
      ]);
      const config = production();
      const { dir, lines } = render(() => {}, `cluster-token-${randomBytes(24).toString('hex')}`);
      const standin = new HcloudStandin({
        primaryIps: [],
        networks: [],
        runningServers: config.cluster.nodes.map((n) => ({
          name: n.name,
          ip: n.publicIPv4,
          location: config.cluster.hetzner.location,
        })),
      });
      const endpoint = await standin.start();
      const home = path.join(dir, 'home');
      fs.mkdirSync(home);
      const env = {
        PATH: process.env.PATH,
        HOME: home,
        HCLOUD_CONFIG: path.join(home, 'cli.toml'),
        HCLOUD_ENDPOINT: endpoint,
        HCLOUD_TOKEN: 'api-token-adopt',
      };
      const hcloud = async (argv: string[]) => {
        const o = await runAsync(argv, { env, timeoutMs: 60_000 });
        if (o.status !== 0) throw new Error(`${argv.join(' ')} exited ${o.status}:\n${o.stdout}${o.stderr}`);
        return o.stdout;
      };
      try {
        // The firewall exists first (the summary's own lines), then each running node is adopted.
        for (const l of lines.filter((x) => x.startsWith('  hcloud firewall '))) await hcloud(shellWords(l.trim()));
        for (const n of config.cluster.nodes) {
          const fill = (t: string, id = '') => shellWords(t.replace(/<node>/g, n.name).replace(/<ID>/g, id));
          const id = (await hcloud(fill(templates[0]!))).trim();
          expect(id).toMatch(/^\d+$/);
          await hcloud(fill(templates[1]!, id));
          await hcloud(fill(templates[2]!));
        }
        // Then the first node is rebuilt as docs/build-a-node.md says: deleted, and built from its printed lines.
        const first = config.cluster.nodes[0]!;
        await hcloud(shellWords(deleteTemplate!.replace(/<node>/g, first.name)));
        expect(standin.state().primaryIps.find((p) => p.name === first.primaryIp)).toMatchObject({
          ip: first.publicIPv4,
          assignee_id: null,
        });
        const own = lines
          .slice(lines.findIndex((l) => l.includes(`--name ${first.name} `)) - 1)
          .filter((l) => l.startsWith('  hcloud '))
          .slice(0, 2);
        expect(own.map((l) => l.trim().split(' ').slice(0, 3).join(' '))).toEqual([
          'hcloud primary-ip describe',
          'hcloud server create',
        ]);
        for (const l of own) await hcloud(shellWords(l.trim()));
      } finally {
        await standin.stop();
      }
      const { primaryIps, servers, firewalls } = standin.state();
      for (const n of config.cluster.nodes) {
        const server = servers.find((s) => s.name === n.name)!;
        const ip = primaryIps.find((p) => p.id === server.public_net.ipv4.id)!;
        expect({ name: ip.name, ip: ip.ip, auto_delete: ip.auto_delete }).toEqual({
          name: n.primaryIp,
          ip: n.publicIPv4,
          auto_delete: false,
        });
      }
      const fw = firewalls.find((f) => f.name === config.cluster.hetzner.firewall)!;
      expect(fw.applied_to.map((a: { server: { id: number } }) => a.server.id).sort()).toEqual(
        servers.map((s) => s.id).sort(),
      );
    },
    180_000,
  );
});
