import { z } from 'zod';
import { dnsLabel, ipv4Address, ipv4Cidr } from './net';
import { FLANNEL_BACKENDS } from './ports';
import { cpuQuantity, memoryQuantity } from './quantity';
import { text } from './text';

/** The cluster: its server nodes, networks, node size and the Hetzner facts the hcloud commands name. */

/** A Hetzner resource name as the printed hcloud commands pass it: a DNS label, so it is one plain shell word. */
const hetznerName = dnsLabel;

const node = z
  .strictObject({
    name: dnsLabel.describe('Hetzner server name; also the K3s node name and the cloud-init file name.'),
    // The alias is written into the comment header of the node's cloud-init file, which
    // runs as root: a name alphabet (no spaces, `#`, quotes or YAML indicators) keeps it a
    // name in a comment for every reader, whatever a YAML parser counts as a line break.
    alias: text
      .regex(
        /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/,
        'expected a short name such as hetzner1: letters, digits, ".", "_" and "-", at most 63 characters, starting and ending with a letter or digit',
      )
      .optional()
      .describe(
        'Name the runbooks use for this node ("hetzner1"). Letters, digits, ".", "_" and "-" only: it is written into the cloud-init file\'s header comment.',
      ),
    publicIPv4: ipv4Address.describe('Public IPv4 address of the server.'),
    privateIPv4: ipv4Address
      .optional()
      .describe('Address on the Hetzner private network; required on every node when cluster.privateNetwork is set.'),
    primaryIp: hetznerName
      .optional()
      .describe(
        'Name of the Hetzner Primary IP that holds publicIPv4 (auto-delete off, so it outlives a rebuilt server); `hcloud server create --primary-ipv4` gives it to the server. Default: `<name>-ipv4`.',
      ),
  })
  .transform((n) => ({ ...n, primaryIp: n.primaryIp ?? `${n.name}-ipv4` }))
  .describe('One K3s server node.');

const capacity = z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity });

export const cluster = z
  .strictObject({
    podCidr: ipv4Cidr
      .default('10.42.0.0/16')
      .describe('Cluster-wide pod CIDR (K3s default); also allowed through UFW.'),
    serviceCidr: ipv4Cidr.default('10.43.0.0/16').describe('Service CIDR (K3s default); also allowed through UFW.'),
    clusterDns: ipv4Address.default('10.43.0.10').describe('CoreDNS Service address; must lie inside serviceCidr.'),
    flannelBackend: z
      .enum(FLANNEL_BACKENDS)
      .default('vxlan')
      .describe(
        'Flannel backend. vxlan (UDP 8472, unencrypted) or wireguard-native (UDP 51820, encrypted node-to-node: the planned next step).',
      ),
    privateNetwork: z
      .strictObject({
        cidr: ipv4Cidr.describe('CIDR of the Hetzner private network; every node privateIPv4 must lie inside it.'),
        interface: text
          .regex(/^[a-z][a-z0-9]{0,14}$/, 'expected a network interface name such as enp7s0')
          .default('enp7s0')
          .describe('Interface of the private network on the nodes (enp7s0 on CX servers); Flannel binds to it.'),
      })
      .optional()
      .describe(
        'Hetzner private network. When set, node-ip, flannel-iface and the node-to-node firewall rules use the private addresses.',
      ),
    nodeCapacity: capacity
      .prefault({ cpu: '4', memory: '8Gi' })
      .describe('Allocatable size of one node (CX33: 4 vCPU, 8 GB).'),
    systemReserved: capacity
      .prefault({ cpu: '1', memory: '2Gi' })
      .describe(
        'Per node, what K3s itself (apiserver, etcd, kubelet), CoreDNS, Traefik, metrics-server and local-path use; subtracted before the capacity check.',
      ),
    hetzner: z
      .strictObject({
        serverType: text
          .regex(
            /^(cx|cpx|ccx)\d+$/,
            'expected an x86 server type (cx…, cpx…, ccx…): the nodes install the amd64 k3s binary, so Arm (cax…) servers are not supported',
          )
          .default('cx33')
          .describe('Server type of the nodes (CX33: 4 vCPU, 8 GB). x86 only: the nodes install the amd64 k3s binary.'),
        image: text
          .regex(/^[a-z0-9.-]+$/, 'expected a Hetzner image name such as ubuntu-24.04')
          .default('ubuntu-24.04')
          .describe('Hetzner image the nodes boot.'),
        location: text
          .regex(/^[a-z0-9-]+$/, 'expected a Hetzner location such as nbg1')
          .default('nbg1')
          .describe(
            'Hetzner location of the servers and their Primary IPs (nbg1: Nuremberg). A Primary IP serves only servers in its own location. Hetzner takes a location, not a datacenter, for both since 2026-07-01.',
          ),
        firewall: hetznerName
          .default('honeydue')
          .describe(
            'Name of the Hetzner Cloud Firewall every node carries: its rules (dist/hcloud/firewall.rules) are rendered from the same data as UFW, for the public interface.',
          ),
        network: hetznerName
          .default('honeydue')
          .describe(
            'Name of the Hetzner private network the nodes join at their privateIPv4 (`hcloud server attach-to-network`). Used only with cluster.privateNetwork.',
          ),
        metadataAddress: ipv4Address
          .default('169.254.169.254')
          .describe(
            'Hetzner metadata service. It serves the user-data, cluster token included, to anything on the node that asks: metadata-guard.service drops what pods and non-root host processes send to it, and the honeydue namespace also denies its pods egress to it.',
          ),
      })
      .prefault({})
      .describe(
        'Hetzner facts: what the printed hcloud commands name and ask for (server type, image, location, firewall, network), and the metadata service.',
      ),
    established: z
      .boolean()
      .default(false)
      .describe(
        'Set once the cluster is running: then no node gets cluster-init, and a rebuilt first node joins the second listed node instead of starting a second, separate cluster.',
      ),
    nodes: z
      .array(node)
      .min(1, 'expected at least one server node')
      .describe(
        'K3s server nodes. The first is the cluster-init server; the others join it. An odd count keeps an etcd quorum.',
      ),
  })
  .describe('Nodes, networks and K3s cluster shape.');

/** The resolved `cluster` block. A module that reads only it imports this type, not the whole `Config`. */
export type ClusterConfig = z.output<typeof cluster>;
export type NodeConfig = ClusterConfig['nodes'][number];
