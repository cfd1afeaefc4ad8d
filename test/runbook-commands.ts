import type { Command, Runbook } from '../operator/runbooks/runbook';

/** Every command of a runbook, in order, with the step it belongs to: what the tests walk. */
export function commandsOf(runbook: Runbook): { step: number; on: string; command: Command }[] {
  return runbook.steps.flatMap((s, i) => s.commands.map((command) => ({ step: i + 1, on: s.on, command })));
}
