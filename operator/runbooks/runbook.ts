/**
 * Runbooks as data: ordered steps, each with where it runs, its commands as argv lists, what
 * to check and why it comes where it does. Tests walk the commands (every `k3s server` flag
 * against the K3s flag list, the order of the steps); `renderRunbook` prints them for people.
 */

import { shellWord } from '../shell';

/** A word of a command: a literal (quoted for the shell when needed) or shell text meant as written (an expansion such as `"$SNAPSHOT"`). */
export type Word = string | { readonly shell: string };

export interface Command {
  /** Environment assignments before the command (`NAME=value cmd`). */
  readonly env?: readonly (readonly [string, Word])[];
  readonly argv: readonly Word[];
  /** Text fed to the command's standard input as a quoted here-document (no expansion). */
  readonly stdin?: string;
  /** A comment printed after the command. */
  readonly note?: string;
}

export interface Step {
  /** Where the commands run: a node, "every server", "your machine". */
  readonly on: string;
  readonly title: string;
  readonly commands: readonly Command[];
  /** What must be true before the next step. */
  readonly check: string;
  /** Why the step is here, and what breaks if it is skipped or moved. */
  readonly why?: string;
}

export interface Runbook {
  readonly title: string;
  readonly intro: readonly string[];
  readonly steps: readonly Step[];
}

/** A word as printed: a literal quoted by `shellWord` (operator/shell.ts), shell text as written. */
export function wordText(w: Word): string {
  return typeof w === 'string' ? shellWord(w) : w.shell;
}

/** A command as one shell line (plus its here-document lines). */
export function commandLines(c: Command): string[] {
  const env = (c.env ?? []).map(([k, v]) => `${k}=${wordText(v)}`);
  const line = [...env, ...c.argv.map(wordText)].join(' ');
  const note = c.note ? `  # ${c.note}` : '';
  if (c.stdin === undefined) return [`${line}${note}`];
  const body = c.stdin.endsWith('\n') ? c.stdin.slice(0, -1) : c.stdin;
  if (body.split('\n').includes('EOF')) throw new Error('here-document body contains its delimiter');
  return [`${line} <<'EOF'${note}`, ...body.split('\n'), 'EOF'];
}

/**
 * The runbook as text: every line of prose is a shell comment and every command starts at
 * the left margin, so a step's lines paste into a shell as they are (an indented here-document
 * terminator would not end the here-document).
 */
export function renderRunbook(runbook: Runbook): string[] {
  const lines = [`# ${runbook.title}`, '#', ...runbook.intro.map((l) => `# ${l}`), ''];
  runbook.steps.forEach((s, i) => {
    lines.push(`# ${i + 1}. ${s.title}  [on ${s.on}]`);
    for (const c of s.commands) lines.push(...commandLines(c));
    lines.push(`#    check: ${s.check}`);
    if (s.why) lines.push(`#    why: ${s.why}`);
    lines.push('');
  });
  return lines;
}
