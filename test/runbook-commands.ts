import type { Config } from '../config/schema';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { layout } from '../model/layout';
import { renderRecords } from '../node/render';
import { buildCommands } from '../operator/hcloud';
import type { RunbookContext } from '../operator/runbooks/context';
import type { Derived } from '../operator/summary';
import type { Command, Runbook } from '../operator/runbooks/runbook';

/** Every command of a runbook, in order, with the step it belongs to: what the tests walk. */
export function commandsOf(runbook: Runbook): { step: number; on: string; command: Command }[] {
  return runbook.steps.flatMap((s, i) => s.commands.map((command) => ({ step: i + 1, on: s.on, command })));
}

/** What the CLI passes a runbook for `config` when run with its defaults: cluster.yaml into dist/. */
export function testContext(config: Config, over: Partial<RunbookContext> = {}): RunbookContext {
  const outdir = over.outdir ?? 'dist';
  return {
    configFile: 'cluster.yaml',
    outdir,
    build: buildCommands(config.cluster, layout(outdir).nodeFile, renderRecords(config)),
    ...over,
  };
}

/** What the CLI hands the summary for `config` written into dist/: the rules and the build lines. */
export function testDerived(config: Config): Derived {
  return { rules: hcloudFirewallRules(config), build: testContext(config).build };
}
