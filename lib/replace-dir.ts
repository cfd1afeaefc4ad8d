import * as fs from 'fs';
import * as path from 'path';
import { isAlive } from './alive';
import { UserInputError } from './errors';

/**
 * The file synth puts in every directory it writes. Synth replaces a directory only when it
 * holds this file (or is empty, or does not exist yet), so an output directory pointed at the
 * wrong place (the repository root, a home directory) is refused instead of deleted.
 * kubectl -f DIR reads only .yaml, .yml and .json files, so it never reads this one.
 */
export const SYNTH_MARKER = '.honeydue-synth';

const MARKER_TEXT =
  'This directory was written by honeydue-infra synth (npm run synth), which replaces it as a\n' +
  'whole on every run: keep nothing else in it. Synth refuses to replace a directory without this file.\n';

/** The output directory cannot be written where it was asked for. */
export class OutputDirError extends UserInputError {}

/** Marks `dir` as one synth wrote. */
export function markSynthOutput(dir: string): void {
  fs.writeFileSync(path.join(dir, SYNTH_MARKER), MARKER_TEXT, { mode: 0o644 });
}

/** Whether `dir` carries the marker. */
export function isSynthOutput(dir: string): boolean {
  return fs.existsSync(path.join(dir, SYNTH_MARKER));
}

/** Refuses unless synth may replace `dir`: it does not exist, is empty, or carries the marker. */
export function checkReplaceable(dir: string, what: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR')
      throw new OutputDirError(
        `${what} ${dir} is a file, not a directory; remove it or choose another output directory (CDK8S_OUTDIR)`,
      );
    throw new OutputDirError(
      `cannot read ${what} ${dir} (${code}); fix its permissions or choose another output directory (CDK8S_OUTDIR)`,
    );
  }
  if (entries.length > 0 && !entries.includes(SYNTH_MARKER)) {
    throw new OutputDirError(
      `${what} ${dir} holds files synth did not write (it has no ${SYNTH_MARKER}), and synth replaces the whole directory: ` +
        `choose a new or empty directory (CDK8S_OUTDIR), or, if ${dir} holds nothing but an old output, delete it yourself`,
    );
  }
}

/** A directory built beside its target, waiting to be renamed into place or thrown away. */
export interface StagedDir {
  /** Renames the new content into place; the old content is removed only after that. */
  commit(): void;
  /** Removes the new content; the target stays exactly as it was. */
  abort(): void;
}

/**
 * Builds a directory's new content in a sibling temporary directory (`.<name>.tmp-<pid>-…`)
 * and returns it staged. A failure while building removes the temporary directory and leaves
 * `target` exactly as it was: never half-written. Temporary directories that earlier runs,
 * killed outright (SIGKILL, power loss), left behind are removed first; one of a live process
 * is left alone.
 */
export function stageDir(target: string, build: (dir: string) => void, mode = 0o755): StagedDir {
  const abs = path.resolve(target);
  const parent = path.dirname(abs);
  const base = path.basename(abs);
  let parentStat: fs.Stats;
  try {
    parentStat = fs.statSync(parent);
  } catch {
    throw new OutputDirError(
      `the parent directory of ${target} does not exist: create it (mkdir -p ${path.dirname(target)}) or choose another output directory (CDK8S_OUTDIR)`,
    );
  }
  if (!parentStat.isDirectory())
    throw new OutputDirError(
      `the parent of ${target}, ${path.dirname(target)}, is not a directory; choose another output directory (CDK8S_OUTDIR)`,
    );
  checkReplaceable(target, 'the output directory');
  removeStale(parent, base);

  let tmp: string;
  try {
    tmp = fs.mkdtempSync(path.join(parent, `.${base}.tmp-${process.pid}-`));
  } catch (e) {
    throw new OutputDirError(
      `cannot create a directory in ${path.dirname(target)} (${(e as NodeJS.ErrnoException).code}): synth builds ${target} beside it; make it writable or choose another output directory (CDK8S_OUTDIR)`,
    );
  }
  const remove = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.chmodSync(tmp, mode);
    build(tmp);
    markSynthOutput(tmp);
  } catch (e) {
    remove();
    throw e;
  }
  let done = false;
  return {
    commit() {
      if (done) return;
      done = true;
      const old = `${tmp}.old`;
      const hadTarget = fs.existsSync(abs);
      try {
        if (hadTarget) fs.renameSync(abs, old);
        fs.renameSync(tmp, abs);
      } catch (e) {
        // Put the old content back: the target is either old or new, never missing.
        if (hadTarget && fs.existsSync(old) && !fs.existsSync(abs)) fs.renameSync(old, abs);
        remove();
        throw new OutputDirError(
          `cannot replace ${target} (${(e as NodeJS.ErrnoException).code ?? e}); it is left as it was`,
        );
      }
      if (hadTarget) fs.rmSync(old, { recursive: true, force: true });
    },
    abort() {
      if (done) return;
      done = true;
      remove();
    },
  };
}

/** `stageDir`, then commit at once. */
export function replaceDir(target: string, build: (dir: string) => void, mode = 0o755): void {
  stageDir(target, build, mode).commit();
}

/** Removes `.<base>.tmp-<pid>-…` siblings whose process is gone; restores a target a crash left renamed to `.old`. */
function removeStale(parent: string, base: string): void {
  const pattern = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-[^.]+(\\.old)?$`);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    const stale = path.join(parent, name);
    const target = path.join(parent, base);
    // Killed between its two renames: the .old directory is the last complete output.
    if (m[2] && !fs.existsSync(target)) fs.renameSync(stale, target);
    else fs.rmSync(stale, { recursive: true, force: true });
  }
}
