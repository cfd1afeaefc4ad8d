import { type App, Yaml } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { checkedYamlText, OutputMismatchError } from './reread';

/**
 * `app.synth()`, with every manifest file serialized once and read back as kubectl reads it
 * (YAML 1.1, lib/reread.ts) before it is written; errors name the files as `shownAs/<file>`.
 *
 * cdk8s writes each chart's file with `Yaml.save(file, objects)`, right after building the
 * chart's objects (`chart.toJson()`). For the length of the synth, that one call is replaced by
 * one that serializes the same objects with cdk8s's own `Yaml.stringify`, reads that text
 * back against them, and writes that same text: so the objects are built once, and what is
 * checked is the bytes that are written (lib/reread.ts, `checkedYamlText`, also remembers the
 * documents it verified). It fails closed: a manifest file this check did not write (a cdk8s
 * that writes its files another way) stops the run.
 */
export function synthManifests(app: App, shownAs: string): void {
  const checked = new Set<string>();
  const save = Object.getOwnPropertyDescriptor(Yaml, 'save')!;
  Yaml.save = (file: string, docs: unknown[]) => {
    const text = checkedYamlText(path.join(shownAs, path.basename(file)), docs, () => Yaml.stringify(...docs));
    fs.writeFileSync(file, text, { encoding: 'utf8' });
    checked.add(path.resolve(file));
  };
  try {
    app.synth();
  } finally {
    Object.defineProperty(Yaml, 'save', save);
  }
  const files = fs.readdirSync(app.outdir).filter((f) => f.endsWith(app.outputFileExtension));
  const unchecked = files.find((f) => !checked.has(path.resolve(app.outdir, f)));
  if (unchecked !== undefined || files.length !== app.charts.length) {
    throw new OutputMismatchError(
      shownAs,
      unchecked ?? '(files)',
      `cdk8s wrote ${files.length} manifest files for ${app.charts.length} charts, not all through the re-read`,
    );
  }
}
