import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { z } from 'zod';
import { NETWORK_GATEWAY_INDEX, PUBLIC_INTERFACE_GATEWAY } from '../config/hetzner';
import {
  INT32_MAX,
  K3S_DEFAULT_DNS_INDEX,
  KUBERNETES_SERVICE_INDEX,
  MAX_UID,
  NODE_POD_CIDR_PREFIX,
  SERVICE_CIDR_PREFIX,
} from '../config/kubernetes';
import { addressAt, dnsName, isSloppyIPv4 } from '../config/net';
import { K3S_MINOR } from '../config/k3s';
import { type Config, configSchema } from '../config/schema';
import { RESERVED_NAMESPACES, STACK_NAMESPACES } from '../config/namespaces';
import { NODE_TCP_PORTS } from '../config/node-ports';
import { production, synthObjects } from './support';

/**
 * The facts config/ encodes about Kubernetes, K3s and Hetzner are the vendored ones
 * (test/fixtures/kubernetes, test/fixtures/k3s, test/fixtures/hcloud, each with its origin).
 */

const fixture = (...p: string[]) => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', ...p), 'utf8'));
const kube = fixture('kubernetes', 'validation.json');
const k3s = fixture('k3s', 'networking.json');
const hcloud = fixture('hcloud', 'networks.json');

describe('the numbers of config/kubernetes.ts and config/hetzner.ts are the vendored ones', () => {
  test('int32 and UID/GID bounds', () => {
    expect(INT32_MAX).toBe(kube.integerFormats.int32.maximum);
    expect(MAX_UID).toBe(kube.userAndGroupIds.userID.maximum);
    expect(MAX_UID).toBe(kube.userAndGroupIds.groupID.maximum);
  });

  test('each node’s pod range: kube-controller-manager’s default /24, which K3s does not override', () => {
    expect(k3s.kubeControllerManager.nodeCidrMaskSizeSet).toBe(false);
    expect(Object.keys(k3s.kubeControllerManager.args)).not.toContain('node-cidr-mask-size');
    expect(NODE_POD_CIDR_PREFIX).toBe(kube.nodeIpam.defaultNodeMaskIPv4);
  });

  test('the service CIDR kube-apiserver takes, the kubernetes Service’s address and K3s’s DNS address', () => {
    expect(SERVICE_CIDR_PREFIX.longest).toBe(32 - Math.log2(kube.serviceNetwork.minimumAddresses));
    expect(SERVICE_CIDR_PREFIX.shortest).toBe(32 - kube.serviceNetwork.maximumHostBits);
    expect(KUBERNETES_SERVICE_INDEX).toBe(kube.serviceNetwork.kubernetesServiceIndex);
    expect(K3S_DEFAULT_DNS_INDEX).toBe(k3s.clusterDns.defaultIndex);
    // cluster.yaml keeps K3s's default address.
    const { serviceCidr, clusterDns } = production().cluster;
    expect(addressAt(serviceCidr, K3S_DEFAULT_DNS_INDEX)).toBe(clusterDns);
  });

  test('Hetzner’s network gateway and the public interface’s gateway', () => {
    expect(NETWORK_GATEWAY_INDEX).toBe(hcloud.gateway.index);
    expect(PUBLIC_INTERFACE_GATEWAY).toBe(hcloud.publicInterfaceGateway);
  });

  test(`the accepted K3s minor, ${K3S_MINOR}, is the one the K3s facts were read at, and cluster.yaml runs it`, () => {
    const flags = require('../vendor/k3s/k3s-flags.json');
    expect(flags.source.refDescription).toContain(`${K3S_MINOR}.`.replace(/^v/, 'v'));
    expect(flags.source.refDescription).toMatch(new RegExp(`Update to ${K3S_MINOR.replace('.', '\\.')}\\.\\d+-k3s1`));
    expect(production().k3s.version.startsWith(`${K3S_MINOR}.`)).toBe(true);
  });
});

describe('Ingress hosts', () => {
  test('what ParseIPSloppy reads as an IPv4 address, isSloppyIPv4 does too', () => {
    for (const ip of ['192.0.2.1', '010.0.0.1', '0.0.0.0', '255.255.255.255', '00001.2.3.4'])
      expect({ ip, sloppy: isSloppyIPv4(ip) }).toEqual({ ip, sloppy: true });
    for (const host of ['1.2.3', '1.2.3.4.5', '256.1.1.1', 'a.2.3.4', '1.2.3.4a', '1e3.2.3.4']) {
      expect({ host, sloppy: isSloppyIPv4(host) }).toEqual({ host, sloppy: false });
    }
  });

  test('every name the host pattern accepts is a DNS-1123 subdomain Kubernetes accepts', () => {
    const { pattern, maxLength } = kube.ingressRuleHost.dns1123Subdomain;
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), (labels) => {
        const host = labels.join('.');
        if (!dnsName.safeParse(host).success) return;
        expect(host.length).toBeLessThanOrEqual(maxLength);
        expect(host).toMatch(new RegExp(pattern));
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });
});

/** A place in the configuration: object keys. */
type ConfigPath = readonly string[];

/** Every integer field of the configuration (its input JSON Schema), with its bounds. */
function integerLeaves(node: any, at: ConfigPath = []): { path: ConfigPath; minimum: number; maximum: number }[] {
  if (node.type === 'integer')
    return [{ path: at, minimum: node.minimum ?? -Infinity, maximum: node.maximum ?? Infinity }];
  const out: { path: ConfigPath; minimum: number; maximum: number }[] = [];
  for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) out.push(...integerLeaves(alt, at));
  if (node.type === 'object')
    for (const [k, v] of Object.entries(node.properties ?? {})) out.push(...integerLeaves(v, [...at, k]));
  return out;
}

/** The names, in the synthesized objects, under which `value` appears as a number (inside Helm values too). */
function landings(o: unknown, value: number, key = ''): string[] {
  if (o === value) return [key];
  if (typeof o === 'string' && o.includes('\n')) {
    const values = (() => {
      try {
        return parse(o);
      } catch {
        return undefined;
      }
    })();
    return typeof values === 'object' && values !== null ? landings(values, value, key) : [];
  }
  if (Array.isArray(o)) return o.flatMap((v) => landings(v, value, key));
  if (typeof o === 'object' && o !== null) return Object.entries(o).flatMap(([k, v]) => landings(v, value, k));
  return [];
}

/**
 * The Traefik chart's values that become Kubernetes fields: `ports.<name>.port` is the
 * container (and, with hostNetwork, host) port, `exposedPort` the Service port (the chart's
 * templates/_podtemplate.tpl and service.yaml, test/fixtures/traefik-charts).
 */
const TRAEFIK_VALUES: Readonly<Record<string, string>> = { port: 'containerPort', exposedPort: 'port' };

/** Integer fields that reach no manifest, and where they go instead. */
const NOT_IN_MANIFESTS: Readonly<Record<string, string>> = {
  'etcdSnapshots.retention': 'the K3s config (etcd-snapshot-retention, a Go int)',
  'etcdSnapshots.s3Retention': 'the etcd-s3 Secret the runbook prints (a string)',
};

describe('every integer the configuration writes into a manifest is bounded by its field', () => {
  const leaves = integerLeaves(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }));
  const withSnapshots = (): Config => {
    const c = production();
    return { ...c, etcdSnapshots: { ...c.etcdSnapshots!, s3Retention: 36 } };
  };
  const get = (o: any, p: ConfigPath) => p.reduce((v, k) => v?.[k], o);

  test('the integer fields are found (replicas, ports, probes, UIDs, retention among them)', () => {
    const names = leaves.map((l) => l.path.join('.'));
    for (const name of [
      'apps.api.replicas',
      'apps.admin.probes.startupFailureThreshold',
      'apps.redis.runAsUser',
      'traefik.webPort',
      'etcdSnapshots.retention',
    ]) {
      expect(names).toContain(name);
    }
  });

  test.each(leaves.map((l) => [l.path.join('.'), l] as const))('%s', (name, leaf) => {
    const config = withSnapshots();
    expect(typeof get(config, leaf.path)).toBe('number');
    // A value no other field holds, inside the field's own bounds.
    const sentinel = leaf.maximum >= 1234567 ? 1234567 : 54321;
    expect(sentinel).toBeGreaterThanOrEqual(leaf.minimum);
    const changed = structuredClone(config);
    const parent = get(changed, leaf.path.slice(0, -1));
    parent[leaf.path[leaf.path.length - 1]!] = sentinel;
    const fields = [...new Set(landings(synthObjects(changed), sentinel).map((k) => TRAEFIK_VALUES[k] ?? k))].sort();
    if (name in NOT_IN_MANIFESTS) {
      expect(fields).toEqual([]);
      return;
    }
    expect(fields).not.toEqual([]);
    for (const field of fields) {
      const facts = kube.fields[field];
      expect({ name, field, vendored: facts !== undefined }).toEqual({ name, field, vendored: true });
      const bounds = facts.checked ? kube.userAndGroupIds[facts.checked] : kube.integerFormats[facts.format];
      expect({ name, field, maximum: leaf.maximum <= bounds.maximum, minimum: leaf.minimum >= bounds.minimum }).toEqual(
        { name, field, maximum: true, minimum: true },
      );
    }
  });
});

test('the schemas the property test validates with refuse an int32 field one above the bound', () => {
  const { Deployment } = require('kubernetes-models/apps/v1/Deployment');
  const deployment = (replicas: number) =>
    new Deployment({
      metadata: { name: 'x' },
      spec: {
        replicas,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } },
      },
    });
  expect(() => deployment(INT32_MAX).validate()).not.toThrow();
  expect(() => deployment(INT32_MAX + 1).validate()).toThrow(/replicas must match format "int32"/);
});

describe('the ports a node binds and the namespaces it owns (test/fixtures/k3s/node-ports.json)', () => {
  const facts = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'k3s', 'node-ports.json'), 'utf8')) as {
    nodeTcpPorts: Record<string, string>;
    reservedNamespaces: string[];
  };

  test('config/node-ports.ts lists exactly the vendored ports, each with its source', () => {
    expect(NODE_TCP_PORTS.map((p) => p.port).sort((a, b) => a - b)).toEqual(
      Object.keys(facts.nodeTcpPorts)
        .map(Number)
        .sort((a, b) => a - b),
    );
    for (const p of NODE_TCP_PORTS) expect(p.source).not.toBe('');
  });

  test('config/namespaces.ts refuses exactly the vendored namespaces, the stack’s own among them', () => {
    expect([...RESERVED_NAMESPACES.keys()].sort()).toEqual([...facts.reservedNamespaces].sort());
    for (const ns of Object.values(STACK_NAMESPACES)) expect(RESERVED_NAMESPACES.has(ns)).toBe(true);
  });
});
