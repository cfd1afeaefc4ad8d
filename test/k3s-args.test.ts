/**
 * What a K3s server runs, read back from the `k3s.io/node-args` annotation K3s writes on its
 * Node (model/k3s-args.ts), and how a difference from the rendered config rolls out
 * (model/k3s-arg-classes.ts). The facts are vendor/k3s/node-config.json, from K3s v1.34.6.
 */
import fc from 'fast-check';
import { argChanges, classOf } from '../model/k3s-arg-classes';
import {
  configFileArgs,
  K3S_NODE,
  nodeArgsFor,
  nodeConfigHash,
  parseNodeArgs,
  renderedArgs,
  tokenHash,
  withDefaults,
} from '../model/k3s-args';
import { FC_SEED } from './support';

describe('node-args as K3s writes it', () => {
  test.each(K3S_NODE.nodeArgsExamples.map((e) => [e.osArgs.join(' '), e] as const))(
    'K3s’s own example (pkg/nodeconfig/nodeconfig_test.go): %s',
    (_name, e) => {
      const nodeArgs = JSON.stringify(nodeArgsFor(e.osArgs.slice(1), []));
      expect(nodeArgs).toBe(e.nodeArgs);
      expect(nodeConfigHash(nodeArgs, JSON.stringify(e.env))).toBe(e.nodeConfigHash);
    },
  );

  test('config files first, in order of first appearance; a drop-in replaces a value, key+ appends; the command line last', () => {
    const argv = nodeArgsFor(
      ['server', '--node-ip=192.0.2.11', '--cluster-init'],
      [
        { 'secrets-encryption': true, disable: ['servicelb', 'traefik'], 'etcd-snapshot-retention': 12 },
        { 'etcd-snapshot-retention': 5, 'disable+': ['local-storage'], t: 'short-alias-secret' },
      ],
    );
    expect(argv).toEqual([
      'server',
      '--secrets-encryption',
      'true',
      '--disable',
      'servicelb',
      '--disable',
      'traefik',
      '--disable',
      'local-storage',
      '--etcd-snapshot-retention',
      '5',
      // A one-letter key becomes -t=…, which getNodeArgs neither splits nor redacts.
      '-t=short-alias-secret',
      '--node-ip',
      '192.0.2.11',
      '--cluster-init',
    ]);
  });

  test('the value after every secret argument is redacted', () => {
    for (const secret of K3S_NODE.secretArgs) {
      const argv = nodeArgsFor(['server', secret, 'hunter2-secret-value', '--node-name', 'n1'], []);
      expect(argv).toEqual(['server', secret, K3S_NODE.omittedValue, '--node-name', 'n1']);
    }
    expect(nodeArgsFor(['server'], [{ token: 'abc', 'etcd-s3-secret-key': 'def' }])).toEqual([
      'server',
      '--token',
      '********',
      '--etcd-s3-secret-key',
      '********',
    ]);
  });

  test('configFileArgs writes YAML values as wrangler’s convert.ToString does', () => {
    expect(
      configFileArgs([{ 'etcd-s3': true, 'etcd-snapshot-retention': 12, 'kube-proxy-arg': ['proxy-mode=ipvs'] }]),
    ).toEqual(['--etcd-s3=true', '--etcd-snapshot-retention=12', '--kube-proxy-arg=proxy-mode=ipvs']);
  });
});

describe('node-args read back', () => {
  test('booleans bare or with a value, lists collected (and comma-split where K3s splits), the last single value wins, aliases', () => {
    const { args, redacted } = parseNodeArgs([
      'server',
      '--cluster-init',
      '--secrets-encryption',
      'false',
      '--disable',
      'servicelb,traefik',
      '--kube-proxy-arg',
      'proxy-mode=ipvs',
      '--kubelet-arg',
      'a=1,b=2',
      '--node-ip',
      '192.0.2.1',
      '--flannel-backend',
      'vxlan',
      '--flannel-backend',
      'none',
      '--token',
      '********',
      '--secrets-encryption',
    ]);
    expect(Object.fromEntries(args)).toEqual({
      'cluster-init': true,
      'secrets-encryption': true,
      disable: ['servicelb', 'traefik'],
      'kube-proxy-arg': ['proxy-mode=ipvs'],
      'kubelet-arg': ['a=1,b=2'],
      'node-ip': ['192.0.2.1'],
      'flannel-backend': 'none',
      token: '********',
    });
    expect([...redacted]).toEqual(['token']);
    expect(Object.fromEntries(parseNodeArgs(['server', '-t=abc', '-i', '192.0.2.5']).args)).toEqual({
      token: 'abc',
      'node-ip': ['192.0.2.5'],
    });
  });

  test.each([
    [['agent'], /not "server"/],
    [['server', 'stray'], /where a flag belongs/],
    [['server', '--node-ip'], /takes a value/],
    [['server', 3], /not a list of strings/],
  ])('refuses what K3s could not have written: %j', (argv, message) => {
    expect(() => parseNodeArgs(argv as unknown[])).toThrow(message);
  });

  test('property: whatever a config file holds, reading back what K3s would record gives its values', () => {
    const key = fc.constantFrom(
      'tls-san',
      'kube-proxy-arg',
      'node-label',
      'flannel-backend',
      'etcd-s3-bucket',
      'secrets-encryption',
    );
    const word = fc.stringMatching(/^[a-z0-9][a-z0-9=.:/-]{0,15}$/);
    fc.assert(
      fc.property(fc.dictionary(key, word), (file) => {
        const cfg: Record<string, unknown> = { ...file };
        if ('secrets-encryption' in cfg) cfg['secrets-encryption'] = cfg['secrets-encryption'] !== 'x';
        for (const k of ['tls-san', 'kube-proxy-arg', 'node-label']) if (k in cfg) cfg[k] = [cfg[k]];
        const { args } = parseNodeArgs(nodeArgsFor(['server'], [cfg]));
        for (const [k, v] of Object.entries(cfg)) {
          const expected = k === 'tls-san' ? (v as string[])[0]!.split(',').filter(Boolean) : v;
          expect({ k, v: args.get(k) }).toEqual({ k, v: expected });
        }
      }),
      { numRuns: 200, seed: FC_SEED },
    );
  });
});

describe('defaults and classes', () => {
  test('an unset flag and its default compare equal; node-ip defaults to the Node’s InternalIP', () => {
    const running = withDefaults(parseNodeArgs(['server', '--cluster-init']).args, { internalIP: '192.0.2.11' });
    const rendered = renderedArgs({
      'node-ip': '192.0.2.11',
      'flannel-backend': 'vxlan',
      'cluster-cidr': '10.42.0.0/16',
      'service-cidr': '10.43.0.0/16',
      'cluster-dns': '10.43.0.10',
      'etcd-snapshot-retention': 5,
    });
    expect(argChanges(running, rendered)).toEqual([]);
  });

  test('a hand-built server without secrets-encryption and servicelb: two critical changes', () => {
    const running = withDefaults(parseNodeArgs(['server', '--cluster-init']).args, { internalIP: '192.0.2.11' });
    const rendered = renderedArgs({ 'node-ip': '192.0.2.11', 'secrets-encryption': true, disable: ['servicelb'] });
    expect(argChanges(running, rendered).map((c) => [c.name, c.class, c.running, c.rendered])).toEqual([
      ['disable-service-lb', 'critical', false, true],
      ['disable', 'cluster-wide', undefined, ['servicelb']],
      ['secrets-encryption', 'critical', false, true],
    ]);
  });

  test('classes from K3s’s source', () => {
    expect(classOf('flannel-backend')).toBe('critical');
    expect(classOf('disable')).toBe('cluster-wide');
    for (const k of ['node-ip', 'advertise-address', 'disable-etcd', 'data-dir', 'flannel-iface', 'flannel-conf'])
      expect({ k, c: classOf(k) }).toEqual({ k, c: 'member' });
    for (const k of [
      'etcd-s3',
      'etcd-s3-config-secret',
      'etcd-snapshot-schedule-cron',
      'kube-proxy-arg',
      'kubelet-arg',
    ])
      expect({ k, c: classOf(k) }).toEqual({ k, c: 'in-place' });
  });
});

describe('the snapshot token hash', () => {
  test('sha256 of the secret, first 12 hex digits; the full token and its plain secret hash the same', () => {
    const secret = 'cluster-secret-0123456789abcdefghijklmnopqrstuv';
    // printf %s "$secret" | sha256sum | cut -c1-12
    expect(tokenHash(secret)).toBe(require('crypto').createHash('sha256').update(secret).digest('hex').slice(0, 12));
    expect(tokenHash(`K10${'a'.repeat(64)}::server:${secret}`)).toBe(tokenHash(secret));
    expect(tokenHash('another-secret-0123456789abcdefghijklmnop')).not.toBe(tokenHash(secret));
  });
});
