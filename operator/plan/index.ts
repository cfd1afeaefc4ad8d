import type { Config } from '../../config/schema';
import type { HcloudFirewallRule } from '../../model/firewall-rule';
import type { Layout } from '../../model/layout';
import type { NodeRecord } from '../../model/node-record';
import { tokenAtHand } from '../../model/token';
import { readLive } from './live';
import { makePlan, type Plan } from './plan';

/**
 * The plan of this synth (its records and Cloud Firewall rules) against what runs at Hetzner:
 * reads the live state with hcloud (read only), the previous records from `out` and git, and
 * changes nothing.
 */
export function planFor(
  config: Config,
  desired: { readonly records: readonly NodeRecord[]; readonly rules: readonly HcloudFirewallRule[] },
  out: Layout,
  env: NodeJS.ProcessEnv,
): Plan {
  const live = readLive(config.cluster.hetzner.firewall, env);
  return makePlan({ config, ...desired, live, out, tokenAtHand: tokenAtHand(env) });
}
