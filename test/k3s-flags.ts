import * as fs from 'fs';
import * as path from 'path';

/**
 * The K3s flag list of the pinned release (test/fixtures/k3s, with its origin), and the checks
 * every K3s option the generator writes or prints must pass. K3s only warns about an unknown
 * key in config.yaml and then ignores it, so a misspelt option would silently do nothing on a
 * node: these checks are the only place it can fail.
 */

export type FlagKind = 'bool' | 'string' | 'stringSlice' | 'int' | 'duration';

interface FlagFacts {
  readonly type: FlagKind;
  /** Accepted by `k3s server`. */
  readonly server: boolean;
}

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'vendor', 'k3s', 'k3s-flags.json'), 'utf8')) as {
  flags: Record<string, FlagFacts>;
  criticalControlArgs: { flags: string[] };
};

/** `k3s server` flags by long name. */
export const K3S_SERVER_FLAGS: ReadonlyMap<string, FlagKind> = new Map(
  Object.entries(fixture.flags)
    .filter(([, f]) => f.server)
    .map(([name, f]) => [name, f.type]),
);

/** Go's time.ParseDuration syntax, as urfave's DurationFlag reads it. */
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/** Whether a value, as a YAML 1.1 reader (K3s uses gopkg.in/yaml.v2) decoded it, fits a flag kind. */
function fits(kind: FlagKind, value: unknown): boolean {
  switch (kind) {
    case 'bool':
      return typeof value === 'boolean';
    case 'string':
      // A number here would be stringified by K3s (and 0644 read as octal first): require a string.
      return typeof value === 'string';
    case 'stringSlice':
      return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    case 'int':
      return Number.isInteger(value);
    case 'duration':
      return typeof value === 'string' && GO_DURATION.test(value);
  }
}

/**
 * Problems of a K3s config.yaml as decoded (with YAML 1.1): keys that are no `k3s server` flag,
 * and values of the wrong shape. Empty when every key is a real flag with a fitting value.
 */
export function k3sConfigProblems(config: Record<string, unknown>): string[] {
  return Object.entries(config).flatMap(([key, value]) => {
    const kind = K3S_SERVER_FLAGS.get(key.replace(/\+$/, ''));
    if (!kind) return [`${key}: not a k3s server flag`];
    return fits(kind, value) ? [] : [`${key}: ${JSON.stringify(value)} is not a ${kind}`];
  });
}

/**
 * Problems of a `k3s server` command line's flags (`--name=value`, `--name value` or a bare
 * `--bool`): every flag must exist, and a value must fit its kind.
 */
export function k3sArgvProblems(argv: readonly string[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = K3S_SERVER_FLAGS.get(name);
    if (!kind) {
      problems.push(`--${name}: not a k3s server flag`);
      continue;
    }
    if (kind === 'bool') {
      if (inline !== undefined && !/^(true|false)$/.test(inline)) problems.push(`--${name}=${inline}: not a bool`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith('--')) problems.push(`--${name}: needs a value`);
    else if (kind === 'int' && !/^-?\d+$/.test(value)) problems.push(`--${name}=${value}: not an int`);
    else if (kind === 'duration' && !GO_DURATION.test(value)) problems.push(`--${name}=${value}: not a duration`);
  }
  return problems;
}

/** Flags every server must set alike: a joining server compares them and refuses to start on a difference. */
export const CRITICAL_CONTROL_FLAGS: readonly string[] = fixture.criticalControlArgs.flags.map((f) => f.split(' ')[0]!);

/**
 * The lines of the `[Service]` and `ExecStart` that k3s's install.sh writes into k3s.service
 * (get.k3s.io, `create_systemd_service_file`), which the node's unit keeps: what the rendered
 * unit and the one cloud-init writes are both checked against.
 */
export const INSTALL_SH_UNIT_LINES = [
  'Type=notify',
  'KillMode=process',
  'Delegate=yes',
  'LimitNOFILE=1048576',
  'TasksMax=infinity',
  'TimeoutStartSec=0',
  'Restart=always',
  'ExecStartPre=-/sbin/modprobe br_netfilter',
  'ExecStartPre=-/sbin/modprobe overlay',
  'ExecStart=/usr/local/bin/k3s server',
] as const;
