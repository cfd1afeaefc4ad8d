import { App, Yaml } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { addStack } from '../charts/stack';
import { synthManifests } from '../lib/manifests';
import { OutputMismatchError } from '../lib/reread';
import { production, tempDir } from './support';

/** Every file of a directory, by name, with its bytes. */
const files = (dir: string) =>
  Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'latin1')]));

function stackApp(config = production()): App {
  const app = new App({ outdir: path.join(tempDir('manifests'), 'dist') });
  addStack(app, config);
  return app;
}

describe('synthManifests writes what cdk8s writes, each file read back as kubectl reads it first', () => {
  test('the files are byte for byte those of app.synth(), the first time and with every document known', () => {
    const plain = stackApp();
    plain.synth();
    for (let i = 0; i < 2; i++) {
      const app = stackApp();
      synthManifests(app, 'dist');
      expect(files(app.outdir)).toEqual(files(plain.outdir));
    }
  });

  test('a manifest that reads back differently stops the synth, naming the file as shown', () => {
    const config = production();
    // The schema refuses this value; the check must hold on its own.
    const app = stackApp({
      ...config,
      apps: { ...config.apps, api: { ...config.apps.api, env: { DB_SSLMODE: 'require\u2028bootcmd: x' } } },
    });
    expect(() => synthManifests(app, 'dist')).toThrow(OutputMismatchError);
    expect(() =>
      synthManifests(
        stackApp({ ...config, apps: { ...config.apps, api: { ...config.apps.api, env: { DB_SSLMODE: 'x\u0085y' } } } }),
        'dist',
      ),
    ).toThrow(/^dist\/0002-api\.k8s\.yaml: \(text\): line \d+ holds U\+0085, which YAML 1\.1 readers/);
  });

  test('a manifest file that did not pass through the check fails the synth (cdk8s wrote it some other way)', () => {
    const app = stackApp();
    fs.mkdirSync(app.outdir, { recursive: true });
    fs.writeFileSync(path.join(app.outdir, '0100-unchecked.k8s.yaml'), 'kind: Unchecked\n');
    expect(() => synthManifests(app, 'dist')).toThrow(
      new OutputMismatchError(
        'dist',
        '0100-unchecked.k8s.yaml',
        'cdk8s wrote 10 manifest files for 9 charts, not all through the re-read',
      ),
    );
  });

  test('cdk8s gets its own Yaml.save back, after a synth and after a failed one', () => {
    const save = Yaml.save;
    synthManifests(stackApp(), 'dist');
    expect(Yaml.save).toBe(save);
    const config = production();
    expect(() =>
      synthManifests(
        stackApp({ ...config, apps: { ...config.apps, api: { ...config.apps.api, env: { A: 'x\u2029' } } } }),
        'dist',
      ),
    ).toThrow();
    expect(Yaml.save).toBe(save);
  });
});
