import * as fs from 'fs';
import * as path from 'path';

/**
 * Builds a directory's new content in a sibling temporary directory, then renames it into
 * place. A failure while building leaves `target` exactly as it was: never half-written.
 */
export function replaceDir(target: string, build: (dir: string) => void, mode = 0o755): void {
  const parent = path.dirname(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.tmp-`));
  try {
    fs.chmodSync(tmp, mode);
    build(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${tmp}.old`;
  const hadTarget = fs.existsSync(target);
  if (hadTarget) fs.renameSync(target, old);
  fs.renameSync(tmp, target);
  if (hadTarget) fs.rmSync(old, { recursive: true, force: true });
}
