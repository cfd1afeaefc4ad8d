import type { Config } from '../../config/schema';
import { hcloudFirewallRules } from '../../model/cloud-firewall';
import type { Layout } from '../../model/layout';
import type { NodeRecord } from '../../model/node-record';
import { tokenAtHand } from '../../model/token';
import { readLive } from './live';
import { makePlan, type Plan } from './plan';

/**
 * The plan of this synth against what runs at Hetzner: reads the live state with hcloud (read
 * only), the previous records from `out` and git, and changes nothing.
 */
export function planFor(config: Config, records: readonly NodeRecord[], out: Layout, env: NodeJS.ProcessEnv): Plan {
  const live = readLive(config.cluster.hetzner.firewall, env);
  return makePlan({ config, records, rules: hcloudFirewallRules(config), live, out, tokenAtHand: tokenAtHand(env) });
}
