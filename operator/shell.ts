/**
 * Quoting for the command lines the operator copies into a shell: the summary's hcloud
 * commands (`operator/summary.ts`) and the runbooks (`operator/runbooks/runbook.ts`) both print with it.
 */

/** A word needs no quoting when it is made only of these (none of them means anything to a POSIX shell). */
const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One literal word as a shell reads it back: plain words as they are, anything else single-quoted. */
export function shellWord(w: string): string {
  return PLAIN.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** One argv as a line a shell reads back as the same argv. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}
