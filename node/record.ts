import { stringify } from 'yaml';
import type { Config } from '../config/schema';
import { rereadYaml } from '../lib/reread';
import { kubeProxy } from '../model/kube-proxy';
import { OUTPUT } from '../model/layout';
import { fingerprintOf, type NodeRecord, type RecordData, recordFileName, TOKEN_MARKER } from '../model/node-record';
import { joinTarget } from '../model/topology';
import { k3sConfig, k3sTokenFile } from './k3s-config';
import { nodeFiles, type RenderedNode } from './render';
import { PATHS } from '../model/paths';
import { runcmd } from './runcmd';

/**
 * Each node's record (model/node-record.ts): built from the very functions its user-data is
 * built from, with TOKEN_MARKER as the token, so a record differs from its user-data only
 * where the token stands. Needs no token: the plan and a synth without one make it too. Given
 * the nodes a synth rendered, it takes their files, the token file's content replaced by the
 * marker, instead of rendering them a second time.
 */
export function renderRecords(config: Config, rendered?: readonly RenderedNode[]): NodeRecord[] {
  return config.cluster.nodes.map((node, i) => {
    const files = rendered
      ? rendered[i]!.files.map((f) => (f.path === PATHS.k3sToken ? k3sTokenFile(TOKEN_MARKER) : f))
      : nodeFiles(config, node, TOKEN_MARKER);
    const data: RecordData = {
      node: node.name,
      role: joinTarget(config.cluster, node) ? 'join' : 'first',
      files: files.map((f) => ({
        path: f.path,
        owner: f.owner ?? 'root:root',
        permissions: f.permissions,
        content: f.content,
      })),
      runcmd: runcmd(kubeProxy(config.k3s)),
      'k3s-config': k3sConfig(config, node),
    };
    // A record holds no token, so the snapshot's warm-up has already serialized and checked
    // the production ones: the same data (all of it is the key) gets the same text.
    const key = JSON.stringify(data);
    let text = TEXTS.get(key);
    if (text === undefined) {
      text = [
        `# honeydue-infra: what ${node.name}'s user-data (${OUTPUT.cloudInit}/${node.name}.user-data) writes and runs, the cluster token`,
        `# replaced by a marker. Generated from cluster.yaml; do not edit. Its fingerprint labels the server built from it.`,
        stringify(data, { version: '1.1', lineWidth: 0 }),
      ].join('\n');
      // Read back as YAML 1.1, as the plan reads it (lib/reread.ts).
      rereadYaml(`${OUTPUT.records}/${recordFileName(node)}`, text, [data]);
      TEXTS.set(key, text);
    }
    return { name: node.name, text, fingerprint: fingerprintOf(text) };
  });
}

/** Record texts by their data as JSON: each was serialized and read back once. */
const TEXTS = new Map<string, string>();
