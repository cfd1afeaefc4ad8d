import type { NodeConfig } from '../config/cluster';

/**
 * The hcloud commands that build `node` on its own address from its file in the output
 * directory, the server labelled with the fingerprint of that file's record, or with `label`
 * when given. The CLI makes them with the one builder (operator/hcloud.ts `buildCommands`);
 * the summary and the runbooks print them as they are handed them.
 */
export type BuildCommands = (node: NodeConfig, label?: string) => string[][];
