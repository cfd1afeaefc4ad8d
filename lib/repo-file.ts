import * as fs from 'fs';
import * as path from 'path';

/**
 * Reads a file by its path from the repository root. The root is the nearest directory above
 * this module holding package.json: the same from the TypeScript sources (tests) and from the
 * esbuild bundle in build/ (the synth snapshot, which reads the file once while it is built).
 */
export function readRepoFile(relative: string): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return fs.readFileSync(path.join(dir, relative), 'utf8');
}
