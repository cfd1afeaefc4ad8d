import { CREDENTIAL_KEYS, type EtcdSnapshots } from '../../model/etcd-backup';
import type { Command, Runbook } from './runbook';

/** Where the operator keeps the B2 application key: outside the repository, readable only by them. */
export const KEYS_FILE = '$HOME/.config/honeydue/etcd-s3.env';
/** Type K3s's docs give the Secret (K3s itself does not check it). */
export const SECRET_TYPE = 'etcd.k3s.cattle.io/s3-config-secret';

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
      'kubectl', '-n', 'kube-system', 'create', 'secret', 'generic', s.secretName,
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
      `Every server takes a snapshot on "${s.schedule}" and uploads it with the settings of this Secret. Until it exists, the`,
      'snapshots stay on each server’s disk and K3s logs "Unable to initialize S3 client" at each one; nothing else breaks.',
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
        on: 'any server',
        title: 'Take one snapshot now and see it in the bucket',
        commands: [{ argv: ['k3s', 'etcd-snapshot', 'save'] }, { argv: ['k3s', 'etcd-snapshot', 'ls'] }],
        check: `ls shows the new snapshot twice: a file:// row (local) and an s3:// row in ${s.location}. No s3:// row: journalctl -u k3s shows the S3 error.`,
      },
    ],
  };
}
