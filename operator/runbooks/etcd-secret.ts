import { CREDENTIAL_KEYS, type EtcdSnapshots } from '../../model/etcd-backup';
import type { Command, Runbook } from './runbook';

/** Where the operator keeps the B2 application key: outside the repository, readable only by them. */
export const KEYS_FILE = '$HOME/.config/honeydue/etcd-s3.env';
/** Type K3s's docs give the Secret (K3s itself does not check it). */
export const SECRET_TYPE = 'etcd.k3s.cattle.io/s3-config-secret';

/**
 * The B2 lifecycle rule that makes K3s's prune delete: B2 buckets are always versioned, and
 * K3s prunes with RemoveObject without a version ID, which on B2 only hides the file (a
 * "delete marker"); without a rule every pruned snapshot stays, billed and readable with the
 * bucket's keys. `daysFromHidingToDeleting: 1` deletes a hidden version a day after it was
 * hidden, and nothing hides a current file (`daysFromUploadingToHiding: null`): the web UI's
 * "Keep only the last version" for the snapshot folder only. Backblaze docs, "Lifecycle
 * Rules" and "Create a Lifecycle Rule with the CLI".
 */
export function lifecycleRule(s: EtcdSnapshots): {
  daysFromHidingToDeleting: number;
  daysFromUploadingToHiding: null;
  fileNamePrefix: string;
} {
  return {
    daysFromHidingToDeleting: 1,
    daysFromUploadingToHiding: null,
    fileNamePrefix: `${s.settings['etcd-s3-folder']}/`,
  };
}

/**
 * `b2 bucket update --lifecycle-rule=<JSON>` (b2 command-line tool 4.x; test/fixtures/b2). The
 * bucket type is optional there; allPrivate is given so the command can only keep the bucket
 * private: a public bucket of snapshots would publish the cluster's state.
 */
export function lifecycleCommand(s: EtcdSnapshots): Command {
  return {
    argv: [
      'b2',
      'bucket',
      'update',
      `--lifecycle-rule=${JSON.stringify(lifecycleRule(s))}`,
      s.settings['etcd-s3-bucket']!,
      'allPrivate',
    ],
    note: 'sets all of the bucket’s lifecycle rules at once: repeat --lifecycle-rule for any other rule it has',
  };
}

/** `KEY=value` lines, the format of `kubectl create secret --from-env-file`. */
export function envFileText(data: Readonly<Record<string, string>>): string {
  return Object.entries(data)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

/**
 * The one command that creates the Secret: the settings from the config as an env file on
 * standard input, the keys from the operator's file. kubectl reads both files itself, so no
 * key is ever in a command line (`ps`) or the shell history. kubectl refuses
 * `--from-env-file` together with `--from-literal` or `--from-file`, hence the settings as a
 * second env file; and `--from-file=<key>=<file>` would keep a file's trailing newline in the
 * key, which K3s uses untrimmed (pkg/etcd/s3/config_secret.go).
 */
export function createSecretCommand(s: EtcdSnapshots): Command {
  return {
    argv: [
      'kubectl',
      '-n',
      'kube-system',
      'create',
      'secret',
      'generic',
      s.secretName,
      `--type=${SECRET_TYPE}`,
      { shell: `--from-env-file="${KEYS_FILE}"` },
      '--from-env-file=/dev/stdin',
    ],
    stdin: envFileText(s.settings),
  };
}

export function etcdSecretRunbook(s: EtcdSnapshots): Runbook {
  return {
    title: `Create the Secret kube-system/${s.secretName}: etcd snapshots to ${s.location}`,
    intro: [
      `Every server built from its node file takes a snapshot on "${s.schedule}" and uploads it with the settings of this Secret.`,
      'Until it exists, the snapshots stay on each server’s disk and K3s logs "Unable to initialize S3 client"; nothing else breaks.',
      'A server built by hand (the three that run today) has no etcd-s3 in its config.yaml: its snapshots stay on its disk, Secret',
      'or not, until it is rebuilt or given the settings in place (npm run -s synth -- --runbook adopt-snapshots).',
      'The keys: a Backblaze B2 application key limited to the bucket (read and write). They never enter the repository.',
    ],
    steps: [
      {
        on: 'your machine',
        title: 'Write the keys file, outside the repository',
        commands: [
          {
            argv: [{ shell: `(umask 077 && mkdir -p "$HOME/.config/honeydue" && cat > "${KEYS_FILE}")` }],
            note: `paste two lines, ${CREDENTIAL_KEYS.map((k) => `${k}=<…>`).join(' and ')}, then Ctrl-D`,
          },
        ],
        check: `the file has exactly the lines ${CREDENTIAL_KEYS.join(' and ')} (keyID and applicationKey of the B2 key), mode 0600.`,
        why: 'pasting into cat keeps the key out of the shell history; a key typed into a command line would stay there and show in ps.',
      },
      {
        on: 'your machine (kubectl against the cluster)',
        title: 'Create the Secret from the config’s settings and the keys file',
        commands: [createSecretCommand(s)],
        check: `kubectl -n kube-system get secret ${s.secretName} -o go-template='{{range $k, $v := .data}}{{$k}}{{"\\n"}}{{end}}' lists ${[...Object.keys(s.settings), ...s.credentialKeys].length} keys (names only: never print .data, it holds the keys).`,
        why: 'K3s reads the Secret at every snapshot, so it needs no restart. To change a value later, delete the Secret and run the same command again.',
      },
      {
        on: 'your machine (the b2 command-line tool, authorized with a key that may change the bucket)',
        title: `Make K3s's prune delete old snapshots: a lifecycle rule on ${s.settings['etcd-s3-bucket']} for ${lifecycleRule(s).fileNamePrefix}`,
        commands: [lifecycleCommand(s), { argv: ['b2', 'bucket', 'get', s.settings['etcd-s3-bucket']!] }],
        check:
          `bucket get lists under lifecycleRules exactly {"daysFromHidingToDeleting": 1, "daysFromUploadingToHiding": null, "fileNamePrefix": "${lifecycleRule(s).fileNamePrefix}"}. ` +
          `Or in the B2 web UI: Buckets → ${s.settings['etcd-s3-bucket']} → Lifecycle Settings → "Keep only the last version of the file" (for the whole bucket), or custom rules with the file path ${lifecycleRule(s).fileNamePrefix} and daysFromHidingToDeleting 1. ` +
          'Later, hidden versions older than a day no longer show in the web UI’s file list (Show all versions).',
        why:
          'B2 buckets are always versioned: K3s prunes to etcd-s3-retention with RemoveObject and no version ID, which on B2 only hides a snapshot. ' +
          'Without the rule every snapshot ever taken stays in the bucket, billed and readable with its keys. The snapshot key itself (files only) cannot change the bucket.',
      },
      {
        on: 'any server',
        title: 'Take one snapshot now and see it in the bucket',
        commands: [{ argv: ['k3s', 'etcd-snapshot', 'save'] }, { argv: ['k3s', 'etcd-snapshot', 'ls'] }],
        check: `ls shows the new snapshot twice: a file:// row (local) and an s3:// row in ${s.location}. No s3:// row: journalctl -u k3s shows the S3 error.`,
      },
    ],
  };
}
