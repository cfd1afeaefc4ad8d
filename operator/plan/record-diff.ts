import { parse } from 'yaml';
import { CRITICAL_CONTROL_ARGS, type CriticalControlArg, criticalValue } from '../../model/k3s-critical';
import type { RecordData } from '../../model/node-record';
import { PATHS } from '../../model/paths';

/** What changes on a server between the record it was built from and its current one. */
export interface RecordDiff {
  /** Paths written with other content, mode or owner, or only by one of the two. */
  readonly paths: readonly string[];
  readonly ufwAdded: readonly string[];
  readonly ufwRemoved: readonly string[];
  /** K3s config keys whose value changes: `key: old → new`. */
  readonly k3sKeys: readonly string[];
  /** The names of those keys. */
  readonly k3sKeyNames: readonly string[];
  readonly runcmdChanged: boolean;
  /** Critical control arguments whose value changes, with both values. */
  readonly critical: readonly { readonly arg: CriticalControlArg; readonly from: unknown; readonly to: unknown }[];
}

/** A record found in the output directory or git history, not of the shape this code writes. */
export class RecordShapeError extends Error {}

/**
 * A record's data, checked: one found by its fingerprint in git history may have been written
 * by an older version of this code, in another shape. Such a record is refused here, not
 * misread further on.
 */
export function readRecord(text: string): RecordData {
  let data: unknown;
  try {
    data = parse(text, { version: '1.1' });
  } catch (e) {
    throw new RecordShapeError(`not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const d = data as Partial<RecordData> | null;
  const ok =
    !!d &&
    typeof d === 'object' &&
    typeof d.node === 'string' &&
    Array.isArray(d.files) &&
    d.files.every(
      (f) => f && typeof f.path === 'string' && typeof f.content === 'string' && typeof f.permissions === 'string',
    ) &&
    Array.isArray(d.runcmd) &&
    d.runcmd.every((c) => Array.isArray(c) && c.every((w) => typeof w === 'string')) &&
    !!d['k3s-config'] &&
    typeof d['k3s-config'] === 'object' &&
    !Array.isArray(d['k3s-config']);
  if (!ok) throw new RecordShapeError('not a node record of this version (node, files, runcmd, k3s-config)');
  return d as RecordData;
}

const shown = (v: unknown): string => (v === undefined ? '(unset)' : JSON.stringify(v));
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** ufw's rule lines (`### tuple ### allow tcp 22 …`) of a record's user.rules and user6.rules. */
function ufwTuples(r: RecordData): Set<string> {
  const files = r.files.filter((f) => f.path === PATHS.ufwUserRules || f.path === PATHS.ufwUser6Rules);
  return new Set(
    files.flatMap((f) =>
      f.content
        .split('\n')
        .filter((l) => l.startsWith('### tuple ### '))
        .map((l) => l.slice('### tuple ### '.length).replace(/ comment=[0-9a-f]+$/, '')),
    ),
  );
}

export function diffRecords(before: RecordData, after: RecordData): RecordDiff {
  const byPath = (r: RecordData) => new Map(r.files.map((f) => [f.path, f]));
  const [b, a] = [byPath(before), byPath(after)];
  const paths = [...new Set([...b.keys(), ...a.keys()])].filter((p) => !same(b.get(p), a.get(p)));
  const [tb, ta] = [ufwTuples(before), ufwTuples(after)];
  const kb = before['k3s-config'];
  const ka = after['k3s-config'];
  const k3sKeyNames = [...new Set([...Object.keys(kb), ...Object.keys(ka)])].filter((k) => !same(kb[k], ka[k]));
  const k3sKeys = k3sKeyNames.map((k) => `${k}: ${shown(kb[k])} → ${shown(ka[k])}`);
  return {
    paths,
    ufwAdded: [...ta].filter((t) => !tb.has(t)),
    ufwRemoved: [...tb].filter((t) => !ta.has(t)),
    k3sKeys,
    k3sKeyNames,
    runcmdChanged: !same(before.runcmd, after.runcmd),
    critical: CRITICAL_CONTROL_ARGS.map((arg) => ({
      arg,
      from: criticalValue(kb, arg),
      to: criticalValue(ka, arg),
    })).filter((c) => !same(c.from, c.to)),
  };
}

/** The diff as indented lines for the plan. */
export function diffLines(d: RecordDiff): string[] {
  return [
    ...(d.paths.length ? [`files: ${d.paths.join(', ')}`] : []),
    ...d.ufwAdded.map((t) => `ufw + ${t}`),
    ...d.ufwRemoved.map((t) => `ufw - ${t}`),
    ...d.k3sKeys.map((k) => `k3s ${k}`),
    ...(d.runcmdChanged ? ['runcmd changes'] : []),
  ];
}
