import { parseArgs } from 'util';
import { JSON_SCHEMA_FILE } from '../config/schema-file';
import { UsageError } from '../lib/errors';
import { RUNBOOKS } from '../operator/runbooks/names';

/**
 * The command line, one entry per option: parsing and the usage text both derive from it,
 * so adding an option is adding an entry here (and reading it in cli/synth.ts).
 */
const OPTIONS = [
  { name: 'config', arg: 'FILE', help: 'the configuration to read (default: $HONEYDUE_CONFIG, else cluster.yaml)' },
  {
    name: 'bootstrap-only',
    help: 'replace only the node files (cloud-init/, nodes/) and the Cloud Firewall rules (hcloud/)',
  },
  { name: 'write-schema', help: `write the configuration's JSON Schema to ${JSON_SCHEMA_FILE} and exit` },
  { name: 'runbook', arg: 'NAME', help: `print a runbook and exit, writing nothing: ${RUNBOOKS.join(', ')}` },
  { name: 'node', arg: 'NODE', help: 'the node a runbook is for (rebuild): a name or alias from cluster.nodes' },
  {
    name: 'rebuild',
    arg: 'NODE',
    help: "render for a rebuild of NODE: refused unless cluster.established and the running cluster's token is at hand",
  },
  {
    name: 'plan',
    help: 'compare this synth with the servers at Hetzner (read with hcloud) and the cluster (read with kubectl) and print what changes; writes nothing. Exit 0 no change, 2 changes, 1 refused or error',
  },
  {
    name: 'kubeconfig',
    arg: 'FILE',
    help: 'the kubeconfig --plan and --runbook rollout read the cluster with (default: $KUBECONFIG, else ~/.kube/config)',
  },
  { name: 'help', help: 'print this help and exit' },
  { name: 'version', help: 'print the version and exit' },
] as const satisfies readonly { name: string; arg?: string; help: string }[];

type Option = (typeof OPTIONS)[number];
type OptionName = Option['name'];
/** Each option as given: a string for one that takes an argument, true for a flag. */
export type Options = { [K in OptionName]?: Extract<Option, { name: K }> extends { arg: string } ? string : boolean };

/** The usage text, from OPTIONS. */
export function usage(): string {
  const left = (o: Option) => `--${o.name}${'arg' in o ? ` ${o.arg}` : ''}`;
  const width = Math.max(...OPTIONS.map((o) => left(o).length));
  return [
    'usage: npm run synth -- [options]     (or: node --snapshot-blob build/synth.blob -- [options])',
    '',
    'Writes the Kubernetes manifests to <outdir>/*.k8s.yaml, one cloud-init file per server node to',
    '<outdir>/cloud-init/<node>.user-data, its token-free record to <outdir>/nodes/<node>.record and the',
    'Cloud Firewall rules to <outdir>/hcloud/. <outdir> is $CDK8S_OUTDIR, else dist; synth replaces it',
    'as a whole, so it must be a directory synth wrote before, an empty one, or a new one.',
    'The cluster token comes from $K3S_TOKEN, else .secrets/k3s-token; for an established cluster',
    'without one, everything but the user-data is written.',
    '',
    'options:',
    ...OPTIONS.map((o) => `  ${left(o).padEnd(width)}  ${o.help}`),
    '',
    'exit status: 0 done; 1 bad input, nothing written; 2 bad command line; 70 internal error (a bug);',
    '             129, 130, 143 interrupted by SIGHUP, SIGINT (Ctrl-C), SIGTERM, nothing replaced',
  ].join('\n');
}

export function parseOptions(argv: readonly string[]): Options {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(OPTIONS.map((o) => [o.name, { type: 'arg' in o ? 'string' : 'boolean' }] as const)),
      strict: true,
      allowPositionals: false,
    });
    return values as Options;
  } catch (e) {
    // parseArgs' messages carry a hint about `--` that does not apply here: keep the first sentence.
    throw new UsageError((e as Error).message.split(/\.\s/)[0]!.replace(/\.$/, ''));
  }
}
