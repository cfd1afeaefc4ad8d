import type { Config } from '../config/schema';
import { renderRecords } from '../node/record';
import type { RunbookContext } from '../operator/runbooks/context';
import type { Command, Runbook } from '../operator/runbooks/runbook';

/** Every command of a runbook, in order, with the step it belongs to: what the tests walk. */
export function commandsOf(runbook: Runbook): { step: number; on: string; command: Command }[] {
  return runbook.steps.flatMap((s, i) => s.commands.map((command) => ({ step: i + 1, on: s.on, command })));
}

/** What the CLI passes a runbook for `config` when run with its defaults: cluster.yaml into dist/. */
export function testContext(config: Config, over: Partial<RunbookContext> = {}): RunbookContext {
  return {
    configFile: 'cluster.yaml',
    outdir: 'dist',
    fingerprints: new Map(renderRecords(config).map((r) => [r.name, r.fingerprint])),
    ...over,
  };
}
