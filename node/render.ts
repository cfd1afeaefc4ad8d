import { USER_DATA_LIMIT } from '../config/hetzner-limits';
import type { Config, NodeConfig } from '../config/schema';
import { UserInputError } from '../lib/errors';
import { rereadCloudInit } from '../lib/reread';
import { kubeProxy } from '../model/kube-proxy';
import { nodeFileName, OUTPUT } from '../model/layout';
import { PATHS } from '../model/paths';
import { joinTarget } from '../model/topology';
import { flannelConfFile, flannelNetConf } from './flannel';
import { k3sConfig, k3sConfigFile, k3sTokenFile } from './k3s-config';
import { k3sInstallFiles } from './k3s-install';
import { kernelModuleFiles } from './kernel-modules';
import { metadataGuardFiles } from './metadata-guard';
import { runcmd } from './runcmd';
import { unprivilegedPortsSysctl } from './sysctl';
import { ufwFiles } from './ufw';
import { cloudConfigText } from './user-data';
import type { WriteFile } from './write-file';

export interface RenderedNode {
  readonly name: string;
  /** `first` starts the cluster (cluster-init); `join` servers join it. */
  readonly role: 'first' | 'join';
  /** `nodeFileName(node)`: one file per node in dist/cloud-init/. */
  readonly fileName: string;
  /** The whole user-data, `#cloud-config` first. Contains the cluster token. */
  readonly content: string;
  /** Its size in bytes, within Hetzner's limit. */
  readonly bytes: number;
  /** The files it writes, as data (the token file among them). */
  readonly files: readonly WriteFile[];
}

export class UserDataTooLargeError extends UserInputError {}

/** Renders the user-data of every server node. Throws before returning anything over Hetzner's limit. */
export function renderNodes(config: Config, opts: { token: string }): RenderedNode[] {
  return config.cluster.nodes.map((node) => {
    const role = joinTarget(config.cluster, node) ? 'join' : 'first';
    const fileName = nodeFileName(node);
    const writeFiles = nodeFiles(config, node, opts.token);
    const commands = runcmd(kubeProxy(config.k3s));
    const content = cloudConfigText({
      header: [
        `honeydue-infra: K3s ${config.k3s.version} server ${node.name}${node.alias ? ` (${node.alias})` : ''}, role ${role}.`,
        'Generated from cluster.yaml; do not edit. It holds the cluster token: keep it secret.',
      ].join('\n'),
      writeFiles,
      runcmd: commands,
    });
    // Read back as cloud-init and K3s will, before anything is written (lib/reread.ts).
    rereadCloudInit(
      `${OUTPUT.cloudInit}/${fileName}`,
      content,
      { write_files: writeFiles, runcmd: commands },
      {
        [PATHS.k3sConfig]: { yaml: k3sConfig(config, node) },
        [PATHS.flannelConf]: { json: flannelNetConf(config.cluster) },
      },
    );
    const bytes = Buffer.byteLength(content);
    if (bytes > USER_DATA_LIMIT) {
      throw new UserDataTooLargeError(
        `${node.name}: user-data is ${bytes} bytes, over Hetzner's ${USER_DATA_LIMIT}-byte limit; shorten the operator or Cloudflare lists, or set firewall.web to anywhere`,
      );
    }
    return { name: node.name, role, fileName, content, bytes, files: writeFiles };
  });
}

/** The files a node gets, in the order cloud-init writes them. */
export function nodeFiles(config: Config, node: NodeConfig, token: string) {
  return [
    unprivilegedPortsSysctl(),
    ...kernelModuleFiles(kubeProxy(config.k3s)),
    ...ufwFiles(config, node),
    ...metadataGuardFiles(config.cluster),
    flannelConfFile(config.cluster),
    k3sTokenFile(token),
    k3sConfigFile(config, node),
    ...k3sInstallFiles(config.k3s),
  ];
}
