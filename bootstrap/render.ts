import type { Config, NodeConfig } from '../config/schema';
import { UserInputError } from '../lib/errors';
import { flannelConfFile } from './flannel';
import { k3sConfigFile, k3sTokenFile } from './k3s-config';
import { k3sInstallFiles } from './k3s-install';
import { kubeProxy } from './kube-proxy';
import { metadataGuardFiles } from './metadata-guard';
import { runcmd } from './runcmd';
import { unprivilegedPortsSysctl } from './sysctl';
import { joinTarget } from './topology';
import { ufwFiles } from './ufw';
import { cloudConfigText, USER_DATA_LIMIT } from './user-data';

export interface RenderedNode {
  readonly name: string;
  /** `first` starts the cluster (cluster-init); `join` servers join it. */
  readonly role: 'first' | 'join';
  readonly fileName: string;
  /** The whole user-data, `#cloud-config` first. Contains the cluster token. */
  readonly content: string;
}

export class UserDataTooLargeError extends UserInputError {}

/** Renders the user-data of every server node. Throws before returning anything over Hetzner's limit. */
export function renderNodes(config: Config, opts: { token: string }): RenderedNode[] {
  return config.cluster.nodes.map((node) => {
    const role = joinTarget(config.cluster, node) ? 'join' : 'first';
    const content = cloudConfigText({
      header: [
        `honeydue-infra: K3s ${config.k3s.version} server ${node.name}${node.alias ? ` (${node.alias})` : ''}, role ${role}.`,
        'Generated from cluster.yaml; do not edit. It holds the cluster token: keep it secret.',
      ].join('\n'),
      writeFiles: nodeFiles(config, node, opts.token),
      runcmd: runcmd(kubeProxy(config.k3s)),
    });
    const size = Buffer.byteLength(content);
    if (size > USER_DATA_LIMIT) {
      throw new UserDataTooLargeError(
        `${node.name}: user-data is ${size} bytes, over Hetzner's ${USER_DATA_LIMIT}-byte limit; shorten the operator or Cloudflare lists, or set firewall.web to anywhere`,
      );
    }
    return { name: node.name, role, fileName: `${node.name}.yaml`, content };
  });
}

/** The files a node gets, in the order cloud-init writes them. */
export function nodeFiles(config: Config, node: NodeConfig, token: string) {
  return [
    unprivilegedPortsSysctl(),
    ...kubeProxy(config.k3s).files,
    ...ufwFiles(config, node),
    ...metadataGuardFiles(config.cluster),
    flannelConfFile(config.cluster),
    k3sTokenFile(token),
    k3sConfigFile(config, node),
    ...k3sInstallFiles(config.k3s),
  ];
}
