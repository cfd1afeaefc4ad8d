import { stringify } from 'yaml';
import type { Config } from '../config/schema';
import { rereadYaml } from '../lib/reread';
import { kubeProxy } from '../model/kube-proxy';
import { OUTPUT } from '../model/layout';
import { fingerprintOf, type NodeRecord, type RecordData, recordFileName, TOKEN_MARKER } from '../model/node-record';
import { joinTarget } from '../model/topology';
import { k3sConfig } from './k3s-config';
import { nodeFiles } from './render';
import { runcmd } from './runcmd';

/**
 * Each node's record (model/node-record.ts): built from the very functions its user-data is
 * built from, with TOKEN_MARKER as the token, so a record differs from its user-data only
 * where the token stands. Needs no token: the plan and a synth without one make it too.
 */
export function renderRecords(config: Config): NodeRecord[] {
  return config.cluster.nodes.map((node) => {
    const data: RecordData = {
      node: node.name,
      role: joinTarget(config.cluster, node) ? 'join' : 'first',
      files: nodeFiles(config, node, TOKEN_MARKER).map((f) => ({ path: f.path, owner: f.owner ?? 'root:root', permissions: f.permissions, content: f.content })),
      runcmd: runcmd(kubeProxy(config.k3s)),
      'k3s-config': k3sConfig(config, node),
    };
    const text = [
      `# honeydue-infra: what ${node.name}'s user-data (${OUTPUT.cloudInit}/${node.name}.user-data) writes and runs, the cluster token`,
      `# replaced by a marker. Generated from cluster.yaml; do not edit. Its fingerprint labels the server built from it.`,
      stringify(data, { version: '1.1', lineWidth: 0 }),
    ].join('\n');
    // Read back as YAML 1.1, as the plan reads it (lib/reread.ts).
    rereadYaml(`${OUTPUT.records}/${recordFileName(node)}`, text, [data]);
    return { name: node.name, text, fingerprint: fingerprintOf(text) };
  });
}
