import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fingerprintOf } from '../../model/node-record';

/** How many commits of a record's history are searched for a fingerprint. */
const MAX_COMMITS = 500;

/**
 * The record text whose fingerprint a server's label carries: the record in the output
 * directory (the last synth's), else a committed version of it in git history. `undefined`
 * when neither has it (a file rendered elsewhere, or history rewritten).
 */
export function findRecord(recordFile: string, fingerprint: string): string | undefined {
  const current = readOrUndefined(recordFile);
  if (current !== undefined && fingerprintOf(current) === fingerprint) return current;
  const dir = path.dirname(path.resolve(recordFile));
  if (!fs.existsSync(dir)) return undefined;
  const file = `./${path.basename(recordFile)}`;
  const git = (args: string[]) =>
    spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  const log = git(['log', '--format=%H', `-${MAX_COMMITS}`, '--all', '--', file]);
  if (log.status !== 0) return undefined;
  for (const commit of log.stdout.split('\n').filter(Boolean)) {
    const shown = git(['show', `${commit}:${file}`]);
    if (shown.status === 0 && fingerprintOf(shown.stdout) === fingerprint) return shown.stdout;
  }
  return undefined;
}

/** A file's text, or undefined when it cannot be read. */
export function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
