import type { EtcdSnapshotsConfig } from '../config/etcd-snapshots';

/**
 * The etcd snapshot settings, resolved once: what the servers' config.yaml gets, what the
 * kube-system Secret holds, and what a restore passes on the command line. The Secret's keys
 * are K3s's own flag names (pkg/etcd/s3/config_secret.go reads `etcd-s3-endpoint`, …), so one
 * table feeds the Secret and the restore flags alike.
 */
export interface EtcdSnapshots {
  /** Keys for /etc/rancher/k3s/config.yaml. Only etcd-s3 and etcd-s3-config-secret of the S3 keys: any other etcd-s3-* key makes K3s ignore the Secret. */
  readonly k3sConfig: Readonly<Record<string, string | number | boolean>>;
  /** Name of the Secret in kube-system. */
  readonly secretName: string;
  /** The Secret's non-secret data, from the config. */
  readonly settings: Readonly<Record<string, string>>;
  /** The Secret's keys that come from the operator's file, never from the config. */
  readonly credentialKeys: readonly string[];
  /** Where the snapshots land, for people: `<endpoint>/<bucket>/<folder>`. */
  readonly location: string;
  /** The same place as `k3s etcd-snapshot ls` shows it in a row's Location: `s3://<bucket>/<folder>`. */
  readonly s3Url: string;
  /**
   * The S3 settings as `k3s server` flags, for a restore: K3s cannot read the Secret during a
   * cluster-reset (no API server runs). No retention: a restore prunes nothing.
   */
  readonly restoreFlags: readonly string[];
  readonly schedule: string;
}

/** The keys of the Secret that are credentials: read from a file outside the repository. */
export const CREDENTIAL_KEYS = ['etcd-s3-access-key', 'etcd-s3-secret-key'] as const;

/**
 * Environment variables `k3s server` reads the S3 keys from when the flags are not given
 * (urfave EnvVars of etcd-s3-access-key and etcd-s3-secret-key in pkg/cli/cmds/server.go):
 * a restore passes the keys this way, so they never appear in a command line.
 */
export const CREDENTIAL_ENV: Readonly<Record<(typeof CREDENTIAL_KEYS)[number], string>> = {
  'etcd-s3-access-key': 'AWS_ACCESS_KEY_ID',
  'etcd-s3-secret-key': 'AWS_SECRET_ACCESS_KEY',
};

/**
 * What a config's `etcdSnapshots` block means, or `undefined` when it is unset. Reads that block
 * and the number of servers (each keeps its own scheduled snapshots in the bucket).
 */
export function etcdSnapshots(config: {
  readonly etcdSnapshots?: EtcdSnapshotsConfig;
  readonly cluster: { readonly nodes: readonly unknown[] };
}): EtcdSnapshots | undefined {
  const s = config.etcdSnapshots;
  if (!s) return undefined;
  const where = {
    'etcd-s3-endpoint': s.endpoint,
    'etcd-s3-region': s.region,
    'etcd-s3-bucket': s.bucket,
    'etcd-s3-folder': s.folder,
  };
  return {
    k3sConfig: {
      'etcd-snapshot-schedule-cron': s.schedule,
      'etcd-snapshot-retention': s.retention,
      'etcd-s3': true,
      'etcd-s3-config-secret': s.secretName,
    },
    secretName: s.secretName,
    settings: {
      ...where,
      // The Secret's own retention: without it K3s keeps 5 in the bucket, whatever config.yaml says.
      'etcd-s3-retention': String(s.s3Retention ?? s.retention * config.cluster.nodes.length),
    },
    credentialKeys: CREDENTIAL_KEYS,
    location: `${s.endpoint}/${s.bucket}/${s.folder}`,
    s3Url: `s3://${s.bucket}/${s.folder}`,
    restoreFlags: Object.entries(where).map(([k, v]) => `--${k}=${v}`),
    schedule: s.schedule,
  };
}
