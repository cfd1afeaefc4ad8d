import { parse } from 'yaml';
import { renderNodes, type RenderedNode } from '../../node/render';
import { parseConfig } from '../../config/load';
import type { Config } from '../../config/schema';
import { variantText } from '../support';

/**
 * The test network (TEST-NET ranges only, inside the test's own namespace):
 * the three servers, the release mirror (also their gateway), an operator inside
 * firewall.operatorCidrs, a stranger outside every node and operator range, and the stand-in
 * metadata service at Hetzner's link-local address, which the guests reach through their
 * gateway as Hetzner servers do. That address exists only on this namespace's bridge.
 */
export const NET = {
  prefix: 24,
  gateway: '192.0.2.1',
  mirror: { address: '192.0.2.1', port: 8080 },
  nodes: [
    { name: 'node-1', ip: '192.0.2.11' },
    { name: 'node-2', ip: '192.0.2.12' },
    { name: 'node-3', ip: '192.0.2.13' },
  ],
  operatorCidr: '198.51.100.0/24',
  operator: '198.51.100.7',
  stranger: '203.0.113.66',
  metadata: { address: '169.254.169.254', port: 80, path: '/hetzner/v1/userdata' },
  /**
   * The stand-in pod inside a guest: a network namespace behind a veth named like flannel's
   * bridge, addressed inside the config's pod CIDR (10.42.0.0/16).
   */
  pod: { bridge: 'cni0', node: '10.42.0.1', pod: '10.42.0.2', prefix: 24, cidr: '10.42.0.0/24' },
} as const;

/** Addresses on the namespace side of the bridge. */
export const HOST_SIDE_ADDRESSES = [
  `${NET.gateway}/24`,
  `${NET.operator}/24`,
  `${NET.stranger}/24`,
  `${NET.metadata.address}/32`,
];

export const K3S_VERSION = 'v1.34.6+k3s1';

/**
 * The production cluster.yaml with only what the test network needs changed: node
 * addresses, a new cluster (not established), the operator range, and the release mirror with the stand-in's pin (http://
 * is accepted only with a pin). Everything else, the firewall's `web` policy included,
 * stays the production default, so the VMs boot what production would.
 */
export function testConfigText(pin: string): string {
  return variantText((raw) => {
    raw.cluster.nodes = NET.nodes.map((n) => ({ name: n.name, publicIPv4: n.ip }));
    // A new cluster: the VMs boot from empty disks, so the first server starts it.
    raw.cluster.established = false;
    delete raw.cluster.privateNetwork;
    raw.firewall = { ...raw.firewall, operatorCidrs: [NET.operatorCidr], web: 'anywhere' };
    const releaseBaseUrl = `http://${NET.mirror.address}:${NET.mirror.port}`;
    raw.k3s = { ...raw.k3s, version: K3S_VERSION, releaseBaseUrl, sha256: pin };
    raw.cluster.hetzner = { ...raw.cluster.hetzner, metadataAddress: NET.metadata.address };
  });
}

export function testConfig(pin: string): Config {
  return parseConfig(testConfigText(pin), 'test/vm cluster.yaml');
}

export function renderTestNodes(pin: string, token: string): RenderedNode[] {
  return renderNodes(testConfig(pin), { token });
}

export interface WriteFile {
  path: string;
  content: string;
  permissions: string;
}

/** The write_files entries of a rendered user-data, as cloud-init will write them. */
export function writeFilesOf(userData: string): WriteFile[] {
  const doc = parse(userData) as {
    write_files?: { path: string; content?: string; permissions?: string; encoding?: string }[];
  };
  return (doc.write_files ?? []).map((f) => {
    if (f.encoding && f.encoding !== 'text/plain')
      throw new Error(`${f.path}: encoding ${f.encoding} is not handled by this test`);
    // cloud-init's default mode for write_files is 0644.
    return { path: f.path, content: f.content ?? '', permissions: (f.permissions ?? '0644').padStart(4, '0') };
  });
}

/** The `### tuple ###` lines of a ufw rules file's content. */
export function ufwTuples(rules: string): string[] {
  return rules
    .split('\n')
    .filter((l) => l.startsWith('### tuple ###'))
    .map((l) => l.slice('### tuple ###'.length).trim());
}
