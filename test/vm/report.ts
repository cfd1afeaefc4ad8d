/**
 * The guest's first-boot report (written by guest/report.py): JSON lines {"k", "v"} read from
 * the VM's second serial port, and the shapes of their values.
 */

export interface ReportLine {
  k: string;
  v: unknown;
}

export interface CommandResult {
  rc: number | null;
  out: string;
}

/** `systemctl show` properties; timestamps are CLOCK_MONOTONIC microseconds, 0 when never. */
export interface UnitProps {
  ActiveState: string;
  SubState: string;
  Result: string;
  ExecMainStatus: number;
  NRestarts: number;
  ExecMainStartTimestampMonotonic: number;
  ExecMainExitTimestampMonotonic: number;
  ActiveEnterTimestampMonotonic: number;
  InactiveExitTimestampMonotonic: number;
  InactiveEnterTimestampMonotonic: number;
}

export interface FileFacts {
  mode: string;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
}

/** What the stand-in k3s recorded the moment it started (fixtures/k3s-standin.py). */
export interface StandinRecord {
  argv: string[];
  monotonic_us: number;
  uid: number;
  modules: Record<string, boolean>;
  unprivileged_port_start: string;
  facts: {
    config: { mode: string; size: number } | null;
    'token-file'?: { path: string; file: { mode: string } | null };
    'flannel-conf'?: { path: string; file: { mode: string } | null };
    error?: string;
  };
  web: Record<string, string>;
}

export interface ProbeTarget {
  host: string;
  proto: 'tcp' | 'udp';
  port: number;
}

export interface ProbeResult extends ProbeTarget {
  state: 'open' | 'closed' | 'filtered';
  detail: string;
}

export interface GuestReport {
  'cloud-init-done': { uptime: number; final_s: number; status_rc: number | null };
  'cloud-init': {
    status: CommandResult;
    result: { v1?: { errors?: string[]; datasource?: string } };
    stage_errors: Record<string, string[] | null>;
    log_problems: string[];
    output_tail: string | null;
  };
  schema: CommandResult;
  settled: boolean;
  units: Record<string, UnitProps>;
  'unit-status': string;
  'install-journal': string;
  'k3s-binary': FileFacts | null;
  standin: StandinRecord | null;
  sysctl: Record<string, string>;
  'unprivileged-bind': Record<string, string | string[]>;
  modules: Record<string, boolean>;
  'k3s-config': {
    file: FileFacts | null;
    parsed?: Record<string, unknown>;
    error?: string;
    flannel?: { path: string; file: FileFacts | null; json: unknown };
  };
  ufw: { status: CommandResult; tuples: Record<'user.rules' | 'user6.rules', string[]> };
  listening: string[];
  ready: { uptime: number };
}

/** `systemd-analyze verify` on the units the user-data installs (guest/report.py verify_units). */
export interface VerifyResult {
  rc: number | null;
  lines: string[];
}

/** The guest's fetches of the stand-in metadata service (guest/report.py metadata_reach). */
export interface MetadataReach {
  'setup-failures': CommandResult[];
  root: CommandResult;
  uid: CommandResult;
  'uid-control': CommandResult;
  pod: CommandResult;
  'pod-control': CommandResult;
  rules: { raw: string[]; mangle: string[] };
}

/** Collects the report lines up to "ready" into one object, failing loudly on a missing key. */
export function reportOf(name: string, lines: readonly ReportLine[]): GuestReport {
  const report: Record<string, unknown> = {};
  for (const line of lines) if (!(line.k in report)) report[line.k] = line.v;
  const required: (keyof GuestReport)[] = [
    'cloud-init-done',
    'cloud-init',
    'schema',
    'units',
    'standin',
    'sysctl',
    'modules',
    'k3s-config',
    'ufw',
    'listening',
    'ready',
  ];
  const missing = required.filter((k) => !(k in report));
  if (missing.length > 0) throw new Error(`${name}: report lacks ${missing.join(', ')}`);
  return report as unknown as GuestReport;
}

/**
 * The `ufw status` line a `### tuple ###` of user.rules / user6.rules shows as, e.g.
 * "allow tcp 6443 0.0.0.0/0 any 192.0.2.12 in" -> To "6443/tcp", action ALLOW, From "192.0.2.12".
 * Returns a pattern over the whitespace-separated columns, so column widths do not matter.
 */
export function statusLinePattern(tuple: string, v6: boolean): RegExp {
  const words = tuple
    .replace(/\s+comment=\S*$/, '')
    .trim()
    .split(/\s+/);
  const [action, proto, dport, dst, sport, src] = words;
  // Application rules (an extra field before the direction) are not used by this project.
  // `in` or `in_<interface>`: ufw shows a rule bound to an interface as `<to> on <interface>`.
  const last = words[words.length - 1]!;
  const [direction, iface] = last.includes('_')
    ? [last.slice(0, last.indexOf('_')), last.slice(last.indexOf('_') + 1)]
    : [last, undefined];
  const any = (addr: string) => addr === '0.0.0.0/0' || addr === '::/0';
  const suffix = v6 ? ' (v6)' : '';
  const portOf = (port: string) => (port === 'any' ? '' : proto === 'any' ? port : `${port}/${proto}`);
  const side = (addr: string, port: string) =>
    [any(addr) ? '' : addr, portOf(port)].filter(Boolean).join(' ') || 'Anywhere';
  const to = side(dst!, dport!) + (iface ? ` on ${iface}` : '') + suffix;
  const from = side(src!, sport!) + (any(src!) && sport === 'any' ? suffix : '');
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '\\s+');
  const act = `${action!.toUpperCase()}${direction === 'out' ? '\\s+OUT' : '(\\s+IN)?'}`;
  return new RegExp(`^${esc(to)}\\s+${act}\\s+${esc(from)}(\\s+#.*)?$`);
}

/** Rule lines of `ufw status` (after the "To  Action  From" header and its dashes). */
export function statusRuleLines(status: string): string[] {
  const lines = status.split('\n').map((l) => l.trimEnd());
  const dashes = lines.findIndex((l) => /^--\s+/.test(l));
  return dashes < 0 ? [] : lines.slice(dashes + 1).filter((l) => l.trim() !== '');
}
