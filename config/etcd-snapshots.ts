import { z } from 'zod';
import { dnsName } from './net';
import { text } from './text';

/**
 * One field of a 5-field cron expression as K3s's scheduler (robfig/cron, standard parser)
 * reads it: `*`, a number, a range `a-b`, each optionally with a step `/n`, comma-separated.
 * Month and weekday names and the `@every`/`@daily` descriptors are refused: numbers only,
 * so what the file says is what one reads.
 */
const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

/** Why a cron field is wrong, or undefined when it is fine. */
function cronFieldProblem(text: string, field: (typeof CRON_FIELDS)[number]): string | undefined {
  for (const item of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `${field.name} "${item}" is not *, a number, a range a-b or one of them with /step`;
    const [, , from, to, step] = m;
    for (const n of [from, to]) {
      if (n !== undefined && (Number(n) < field.min || Number(n) > field.max)) {
        return `${field.name} ${n} is outside ${field.min}-${field.max}`;
      }
    }
    if (from !== undefined && to !== undefined && Number(from) > Number(to))
      return `${field.name} range ${from}-${to} runs backwards`;
    if (step !== undefined && Number(step) < 1) return `${field.name} step /${step} must be at least 1`;
  }
  return undefined;
}

/**
 * The values a valid cron field matches, and whether robfig/cron counts it as a star: an item
 * `*` with no step above 1 (getRange sets its starBit, and a step of 2 or more clears it).
 * `N/step` runs from N to the field's maximum, as robfig/cron reads it.
 */
function cronFieldValues(text: string, field: (typeof CRON_FIELDS)[number]): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(',')) {
    const [, all, from, to, step] = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item)!;
    const every = Number(step ?? 1);
    if (all === '*' && every === 1) star = true;
    const first = all === '*' ? field.min : Number(from);
    const last = all === '*' || (to === undefined && step !== undefined) ? field.max : Number(to ?? from);
    for (let v = first; v <= last; v += every) values.add(v);
  }
  return { values, star };
}

/** The most days each month (1-12) has: February has 29 in leap years, which come every four years. */
const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Why a valid schedule never fires, or undefined when it does. robfig/cron (K3s's scheduler)
 * matches a day when day of month AND day of week match if either of them is a star, and when
 * either matches otherwise (spec.go dayMatches). Every month has every weekday, and minute and
 * hour always match something, so a schedule can only never fire with a star day of week and
 * days of month that no chosen month has (30 February).
 */
function neverFires(fields: readonly string[]): string | undefined {
  const [dom, month, dow] = [2, 3, 4].map((i) => cronFieldValues(fields[i]!, CRON_FIELDS[i]!));
  if (!dow!.star || dom!.star) return undefined;
  const real = [...month!.values].some((m) => [...dom!.values].some((d) => d <= DAYS_IN_MONTH[m]!));
  if (real) return undefined;
  return (
    `no month in "${fields[3]}" has a day in "${fields[2]}", so the schedule never fires and no snapshot would ` +
    `ever be taken; choose days that exist in those months (February has at most 29)`
  );
}

export const cron = text.superRefine((spec, ctx) => {
  const fields = spec.trim().split(/\s+/);
  if (fields.length !== 5) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a 5-field cron expression (minute hour day-of-month month day-of-week) such as "0 */6 * * *", got ${fields.length} field(s)`,
    });
    return;
  }
  let valid = true;
  fields.forEach((f, i) => {
    const problem = cronFieldProblem(f, CRON_FIELDS[i]!);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `cron: ${problem}` });
      valid = false;
    }
  });
  const never = valid ? neverFires(fields) : undefined;
  if (never) ctx.addIssue({ code: 'custom', message: `cron: ${never}` });
});

export const etcdSnapshots = z
  .strictObject({
    schedule: cron
      .default('0 */6 * * *')
      .describe(
        'When every server takes an etcd snapshot (5-field cron, node time, UTC on the Hetzner images). Written as etcd-snapshot-schedule-cron. K3s alone: every 12 h.',
      ),
    retention: z
      .number()
      .int()
      .min(1, 'keep at least one snapshot')
      .default(12)
      .describe('Snapshots each server keeps on its own disk (etcd-snapshot-retention).'),
    s3Retention: z
      .number()
      .int()
      .min(1, 'keep at least one snapshot')
      .optional()
      .describe(
        'Snapshots kept in the bucket folder, counted across ALL servers: K3s prunes every etcd-snapshot-* object under the folder to this many, whichever server wrote it (k3s issue 9866). Written to the Secret as etcd-s3-retention. Default: retention × the number of servers, i.e. the same number of schedule runs as on each disk.',
      ),
    endpoint: text
      .regex(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/,
        'expected the S3 host name without a scheme or path, such as s3.eu-central-003.backblazeb2.com (K3s adds https://)',
      )
      .describe('S3 endpoint host (Backblaze B2: s3.<region>.backblazeb2.com). K3s connects with TLS.'),
    region: text
      .regex(/^[a-z0-9-]+$/, 'expected a region name such as eu-central-003')
      .describe(
        'S3 region. For B2 it is the part of the endpoint after "s3.", e.g. eu-central-003; K3s would otherwise sign for us-east-1.',
      ),
    bucket: text
      .regex(
        /^[a-z0-9][a-z0-9-]{4,48}[a-z0-9]$/,
        'expected a bucket name of 6-50 lower-case letters, digits and "-" (B2 and S3 rules)',
      )
      .describe('Bucket the snapshots are uploaded to. Create it private, with an application key limited to it.'),
    folder: text
      .regex(
        /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
        'expected a folder path such as honeydue/etcd, without leading or trailing "/"',
      )
      .describe('Folder (object key prefix) inside the bucket.'),
    secretName: dnsName
      .default('k3s-etcd-s3')
      .describe(
        'Secret in kube-system holding the S3 settings and keys (etcd-s3-config-secret). Created out of band; `--runbook etcd-secret` prints the command.',
      ),
  })
  .refine((s) => !/\.backblazeb2\.com(:\d+)?$/.test(s.endpoint) || s.endpoint.split('.')[1] === s.region, {
    message:
      'region does not match the Backblaze B2 endpoint s3.<region>.backblazeb2.com; use the region in the endpoint',
    path: ['region'],
  })
  .optional()
  .describe(
    'Scheduled etcd snapshots, uploaded to S3-compatible storage (Backblaze B2). The servers get only etcd-s3 and etcd-s3-config-secret: endpoint, bucket, folder and keys live in that kube-system Secret, so no credential is in user-data, dist/ or git. Unset: K3s defaults, snapshots only on each server’s own disk.',
  );

export type EtcdSnapshotsConfig = NonNullable<z.output<typeof etcdSnapshots>>;
