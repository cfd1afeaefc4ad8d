/**
 * The synth summary as the operator reads it after `npm run synth`: what was written, named file
 * by file, and what comes next (operator/summary.ts), from the real CLI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cli, cliReadyBeforeAll } from './cli';
import { tempDir, variantFile } from './support';

cliReadyBeforeAll();

/** Every file below `dir`, relative to it, but the marker that says synth wrote the directory. */
function filesBelow(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((f) => f !== '.honeydue-synth')
    .sort();
}

/** The paths a summary names: each word that is a path, with `dir/{a,b}.x` expanded as a shell would. */
function namedPaths(summary: string): Set<string> {
  const named = new Set<string>();
  for (const word of summary.split(/\s+/)) {
    const m = /^(.*)\{([^}]*)\}(.*)$/.exec(word);
    if (m) for (const stem of m[2]!.split(',')) named.add(`${m[1]}${stem}${m[3]}`);
    else named.add(word);
  }
  return named;
}

describe('the summary of a run names every file it wrote, and what comes next', () => {
  const established = () => variantFile((r) => (r.cluster.established = true));

  test('a clean run (a running cluster, no token at hand): about ten lines, every file named, no node files as the expected state', () => {
    const out = path.join(tempDir('summary-clean'), 'dist');
    const r = cli(['--config', established()], { CDK8S_OUTDIR: out });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(12);
    const named = namedPaths(r.stdout);
    const written = filesBelow(out);
    expect(written.filter((f) => f.endsWith('.k8s.yaml')).length).toBe(9);
    expect(written.filter((f) => !named.has(path.join(out, f)))).toEqual([]);
    expect(lines[0]).toBe(
      `wrote ${out}/: 9 manifests, 3 node records, the Cloud Firewall rules; the expected state, to review and commit`,
    );
    expect(r.stdout).toMatch(new RegExp(`^${out}/cloud-init/  no node files, as expected: `, 'm'));
    expect(r.stdout).not.toMatch(/not written|hcloud server create/);
    expect(lines.slice(-4)).toEqual([
      'next:',
      `  git diff ${out}          # review what this synth changed`,
      `  kubectl apply -f ${out}  # on a first apply, the CRD first: docs/plan-and-apply.md#the-first-apply`,
      `  npm run plan${' '.repeat(out.length + 7)}# what differs at Hetzner, and how each change rolls out`,
    ]);
  });

  test('a run with the token names every node file too, each with the commands that build its server', () => {
    const out = path.join(tempDir('summary-token'), 'dist');
    const r = cli(['--config', established()], {
      CDK8S_OUTDIR: out,
      K3S_TOKEN: `K10${'0123456789abcdef'.repeat(4)}::server:${'summary-test-secret-Zq7vN3xW9pL2mK8r'}`,
    });
    expect(r.status).toBe(0);
    const named = namedPaths(r.stdout);
    const written = filesBelow(out);
    expect(written.filter((f) => f.endsWith('.user-data'))).toHaveLength(3);
    expect(written.filter((f) => !named.has(path.join(out, f)))).toEqual([]);
    expect(r.stdout.split('\n')[0]).toContain('9 manifests, 3 node records, 3 node files, the Cloud Firewall rules');
  });
});
