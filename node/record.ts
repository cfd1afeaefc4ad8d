import { stringify } from 'yaml';
import { rereadYaml } from '../lib/reread';
import { nodeFileName, OUTPUT } from '../model/layout';
import { fingerprintOf, type NodeRecord, type RecordData, recordFileName } from '../model/node-record';

/**
 * A node's record (model/node-record.ts) as committed: its data as YAML 1.1 under a header,
 * read back once as the plan reads it, and fingerprinted. The data comes from the node's own
 * files (`renderRecords`, ./render.ts).
 */
export function recordOf(data: RecordData): NodeRecord {
  // A record holds no token, so the snapshot's warm-up has already serialized and checked
  // the production ones: the same data (all of it is the key) gets the same text.
  const key = JSON.stringify(data);
  let text = TEXTS.get(key);
  if (text === undefined) {
    const name = data.node;
    text = [
      `# honeydue-infra: what ${name}'s user-data (${OUTPUT.cloudInit}/${nodeFileName({ name })}) writes and runs, the cluster token`,
      `# replaced by a marker. Generated from cluster.yaml; do not edit. Its fingerprint labels the server built from it.`,
      stringify(data, { version: '1.1', lineWidth: 0 }),
    ].join('\n');
    // Read back as YAML 1.1, as the plan reads it (lib/reread.ts).
    rereadYaml(`${OUTPUT.records}/${recordFileName({ name })}`, text, [data]);
    TEXTS.set(key, text);
  }
  return { name: data.node, text, fingerprint: fingerprintOf(text), data };
}

/** Record texts by their data as JSON: each was serialized and read back once. */
const TEXTS = new Map<string, string>();
