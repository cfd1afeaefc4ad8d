import * as fs from 'fs';
import * as path from 'path';
import { configJsonSchema, JSON_SCHEMA_FILE } from './config/json-schema';
import { configFileFrom, loadConfig } from './config/load';

describe('the production configuration', () => {
  test('cluster.yaml validates and holds the brief’s values', () => {
    const c = loadConfig(path.join(__dirname, 'cluster.yaml'));
    expect(c.apps.api).toMatchObject({
      replicas: 3,
      port: 8000,
      host: 'api.myhoneydue.com',
      probes: { startupFailureThreshold: 48 },
    });
    expect(c.apps.admin).toMatchObject({ port: 3000, probes: { path: '/', startupFailureThreshold: 24 } });
    expect(c.apps.worker.replicas).toBe(1);
    expect(c.apps.redis.port).toBe(6379);
    expect(c.cluster.nodes.map((n) => [n.name, n.publicIPv4])).toEqual([
      ['ubuntu-8gb-nbg1-2', '178.104.247.152'],
      ['ubuntu-8gb-nbg1-1', '178.105.32.198'],
      ['ubuntu-8gb-nbg1-3', '178.104.249.189'],
    ]);
    expect(c.cluster).toMatchObject({
      podCidr: '10.42.0.0/16',
      serviceCidr: '10.43.0.0/16',
      clusterDns: '10.43.0.10',
      flannelBackend: 'vxlan',
    });
    expect(c.k3s).toMatchObject({
      version: 'v1.34.6+k3s1',
      releaseBaseUrl: 'https://github.com/k3s-io/k3s/releases/download',
    });
  });

  test('--config wins over HONEYDUE_CONFIG, which wins over cluster.yaml', () => {
    expect(configFileFrom('a.yaml', { HONEYDUE_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(configFileFrom(undefined, { HONEYDUE_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(configFileFrom(undefined, {})).toBe('cluster.yaml');
  });
});

// Refused configurations, with the exact field and message of each problem: test/config-table.test.ts.

test('the committed JSON Schema for editors is the current zod schema, descriptions included', () => {
  const committed = fs.readFileSync(path.join(__dirname, JSON_SCHEMA_FILE), 'utf8');
  expect(committed).toBe(configJsonSchema());
  expect(committed).toContain('the Asynq scheduler is a singleton');
});
