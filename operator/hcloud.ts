import type { ClusterConfig, NodeConfig } from '../config/cluster';
import { NODE_FILE_LABEL } from '../model/node-record';

/**
 * The hcloud commands that build one node with its own address, in order: show the Primary IP
 * that must already hold `publicIPv4` (so the operator sees the address and auto-delete before
 * anything is created), create the server on it with the firewall and the user-data. With a
 * private network the server is created stopped, joins the network at `privateIPv4`, and only
 * then is powered on: its first boot (cloud-init, then K3s with node-ip, advertise-address,
 * flannel-iface, the join URL and the UFW rules on that address) must find the address there.
 * `server create` starts the server at once otherwise (`--start-after-create` defaults to true).
 * The server is labelled with the fingerprint of its node file's record, so the plan can tell
 * which file it was built from without reading the token.
 *
 * The one builder of these lines: the CLI makes them for the summary and hands them to the
 * runbooks (`RunbookContext.build`), which print them and never build them again.
 */
export function nodeCommands(cluster: ClusterConfig, node: NodeConfig, file: string, fingerprint: string): string[][] {
  const { serverType, image, location, firewall, network } = cluster.hetzner;
  const privateIp = cluster.privateNetwork ? node.privateIPv4 : undefined;
  const create = [
    'hcloud',
    'server',
    'create',
    '--name',
    node.name,
    '--type',
    serverType,
    '--image',
    image,
    '--location',
    location,
    '--primary-ipv4',
    node.primaryIp,
    '--firewall',
    firewall,
    '--user-data-from-file',
    file,
    '--label',
    `${NODE_FILE_LABEL}=${fingerprint}`,
  ];
  return [
    ['hcloud', 'primary-ip', 'describe', node.primaryIp],
    ...(privateIp
      ? [
          [...create, '--start-after-create=false'],
          ['hcloud', 'server', 'attach-to-network', node.name, '--network', network, '--ip', privateIp],
          ['hcloud', 'server', 'poweron', node.name],
        ]
      : [create]),
  ];
}

/**
 * Each node's build lines (`nodeCommands`) for its file `nodeFile(node)`, the server labelled
 * with the fingerprint of the node's record, or with `label` when given: what the CLI hands
 * the summary and the runbooks (`BuildCommands`, ./build-lines.ts).
 */
export function buildCommands(
  cluster: ClusterConfig,
  nodeFile: (node: NodeConfig) => string,
  records: readonly { readonly name: string; readonly fingerprint: string }[],
) {
  const fingerprints = new Map(records.map((r) => [r.name, r.fingerprint]));
  return (node: NodeConfig, label = fingerprints.get(node.name)!): string[][] =>
    nodeCommands(cluster, node, nodeFile(node), label);
}
