import * as fs from 'fs';
import * as path from 'path';
import { configJsonSchema, JSON_SCHEMA_FILE } from './config/json-schema';
import { configFileFrom, ConfigError, loadConfig, parseConfig } from './config/load';
import { run } from './main';
import { tempDir, TEST_TOKEN, variantFile } from './test/support';

describe('the production configuration', () => {
  test('cluster.yaml validates and holds the brief’s values', () => {
    const c = loadConfig(path.join(__dirname, 'cluster.yaml'));
    expect(c.apps.api).toMatchObject({ replicas: 3, port: 8000, host: 'api.myhoneydue.com', probes: { startupFailureThreshold: 48 } });
    expect(c.apps.admin).toMatchObject({ port: 3000, probes: { path: '/', startupFailureThreshold: 24 } });
    expect(c.apps.worker.replicas).toBe(1);
    expect(c.apps.redis.port).toBe(6379);
    expect(c.cluster.nodes.map((n) => [n.name, n.publicIPv4])).toEqual([
      ['ubuntu-8gb-nbg1-2', '178.104.247.152'],
      ['ubuntu-8gb-nbg1-1', '178.105.32.198'],
      ['ubuntu-8gb-nbg1-3', '178.104.249.189'],
    ]);
    expect(c.cluster).toMatchObject({ podCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16', clusterDns: '10.43.0.10', flannelBackend: 'vxlan' });
    expect(c.k3s).toMatchObject({ version: 'v1.34.6+k3s1', releaseBaseUrl: 'https://github.com/k3s-io/k3s/releases/download' });
  });

  test('--config wins over HONEYDUE_CONFIG, which wins over cluster.yaml', () => {
    expect(configFileFrom('a.yaml', { HONEYDUE_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(configFileFrom(undefined, { HONEYDUE_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(configFileFrom(undefined, {})).toBe('cluster.yaml');
  });
});

describe('a bad configuration is refused with file, line, field, problem and fix', () => {
  const cases: [string, (raw: any) => void, RegExp][] = [
    ['an unknown field', (r) => (r.apps.api.replicaCount = 3), /line \d+, apps\.api: unknown field "replicaCount"; check the spelling/],
    ['an image without a tag', (r) => (r.apps.api.image = 'ghcr.io/myhoneydue/honeydue-api'), /apps\.api\.image: image has no tag; pin a version tag/],
    ['an image on :latest', (r) => (r.apps.admin.image = 'ghcr.io/myhoneydue/honeydue-admin:latest'), /apps\.admin\.image: image uses the mutable tag "latest"/],
    ['a registry port is not a tag', (r) => (r.apps.api.image = 'registry.local:5000/api'), /apps\.api\.image: image has no tag/],
    ['worker replicas of 2', (r) => (r.apps.worker.replicas = 2), /apps\.worker\.replicas: worker replicas must be exactly 1: the Asynq scheduler inside the worker is a singleton/],
    ['an invalid hostname', (r) => (r.apps.api.host = 'api_.myhoneydue.com'), /apps\.api\.host: expected a lower-case DNS name \(RFC 1123\)/],
    ['a port out of range', (r) => (r.apps.api.port = 80000), /apps\.api\.port: expected a port between 1 and 65535/],
    ['a port that is not a number', (r) => (r.apps.redis.port = '6379/tcp'), /apps\.redis\.port: expected a port number/],
    ['a missing required field', (r) => delete r.apps.api.image, /apps\.api\.image: missing; expected string/],
    ['a CIDR with host bits set', (r) => (r.cluster.podCidr = '10.42.0.1/16'), /cluster\.podCidr: 10\.42\.0\.1\/16 has host bits set; expected the network address, 10\.42\.0\.0\/16/],
    ['an IPv6 CIDR with host bits set', (r) => (r.cloudflare.ipv6 = ['2400:cb00::1/32']), /cloudflare\.ipv6\.0: 2400:cb00::1\/32 has host bits set; expected the network address, 2400:cb00::\/32/],
    ['a memory limit below the request', (r) => (r.apps.api.resources.memoryLimit = '128Mi'), /apps\.api\.resources\.memoryLimit: memoryLimit is below the memory request/],
  ];

  test.each(cases)('%s', (_name, change, expected) => {
    const file = variantFile(change);
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(file)).toThrow(expected);
    expect(() => loadConfig(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid configuration`));
  });

  test.each(cases)('%s: exits 1 and leaves dist/ exactly as it was', async (_name, change) => {
    const file = variantFile(change);
    const out = path.join(tempDir('dist'), 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'previous.k8s.yaml'), 'kind: Previous\n');
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await run(['--config', file], { CDK8S_OUTDIR: out, K3S_TOKEN: TEST_TOKEN })).toBe(1);
      expect(stderr.mock.calls[0]![0]).toMatch(/^error: .*cluster\.yaml: invalid configuration/);
    } finally {
      stderr.mockRestore();
    }
    expect(fs.readdirSync(out)).toEqual(['previous.k8s.yaml']);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
  });

  test('invalid YAML names its line and column', () => {
    expect(() => parseConfig('apps:\n  api: [unclosed\n', 'broken.yaml')).toThrow(/^broken\.yaml: invalid configuration\n {2}- line \d+, column \d+: not valid YAML/);
  });

  test('a missing file says how to pass one', () => {
    expect(() => loadConfig('/nonexistent/cluster.yaml')).toThrow(/cannot read the file \(ENOENT\); pass an existing file with --config or HONEYDUE_CONFIG/);
  });
});

test('the committed JSON Schema for editors is the current zod schema, descriptions included', () => {
  const committed = fs.readFileSync(path.join(__dirname, JSON_SCHEMA_FILE), 'utf8');
  expect(committed).toBe(configJsonSchema());
  expect(committed).toContain('the Asynq scheduler is a singleton');
});
