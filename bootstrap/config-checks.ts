import type { ConfigCheck } from '../config/load';
import { hcloudFirewallLimitIssues } from './hcloud-firewall';

/**
 * Checks of a configuration that need what bootstrap/ renders: config/ cannot import them, so
 * every caller that loads a config to render it passes these to `loadConfig`/`parseConfig`.
 */
export const RENDER_CHECKS: readonly ConfigCheck[] = [hcloudFirewallLimitIssues];
