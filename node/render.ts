import { USER_DATA_LIMIT } from '../config/hetzner-limits';
import type { Config, NodeConfig } from '../config/schema';
import { UserInputError } from '../lib/errors';
import { rereadCloudInit } from '../lib/reread';
import { kubeProxy } from '../model/kube-proxy';
import { nodeFileName, OUTPUT } from '../model/layout';
import { type NodeRecord, TOKEN_MARKER } from '../model/node-record';
import { PATHS } from '../model/paths';
import { roleOf } from '../model/topology';
import { flannelConfFile, flannelNetConf } from './flannel';
import { k3sConfig, k3sConfigFile, k3sTokenFile } from './k3s-config';
import { k3sInstallFiles } from './k3s-install';
import { kernelModuleFiles } from './kernel-modules';
import { metadataGuardFiles } from './metadata-guard';
import { recordOf } from './record';
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
    const role = roleOf(config.cluster, node);
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

/**
 * Each node's record (model/node-record.ts): built from the very functions its user-data is
 * built from, with TOKEN_MARKER as the token, so a record differs from its user-data only
 * where the token stands. Needs no token: the plan and a synth without one make it too. Given
 * the nodes a synth rendered, it takes their files, the token file's content replaced by the
 * marker, instead of rendering them a second time.
 */
export function renderRecords(config: Config, rendered?: readonly RenderedNode[]): NodeRecord[] {
  const commands = runcmd(kubeProxy(config.k3s));
  return config.cluster.nodes.map((node, i) => {
    const files = rendered
      ? rendered[i]!.files.map((f) => (f.path === PATHS.k3sToken ? k3sTokenFile(TOKEN_MARKER) : f))
      : nodeFiles(config, node, TOKEN_MARKER);
    return recordOf({
      node: node.name,
      role: roleOf(config.cluster, node),
      files: files.map((f) => ({
        path: f.path,
        owner: f.owner ?? 'root:root',
        permissions: f.permissions,
        content: f.content,
      })),
      runcmd: commands,
      'k3s-config': k3sConfig(config, node),
    });
  });
}
