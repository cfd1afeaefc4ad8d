import { Document, type YAMLSeq } from 'yaml';
import type { WriteFile } from './write-file';

export interface CloudConfig {
  /** Comment under the `#cloud-config` line. */
  readonly header: string;
  readonly writeFiles: readonly WriteFile[];
  /** argv lists only: cloud-init runs a list without a shell. */
  readonly runcmd: readonly (readonly string[])[];
}

/**
 * Serializes a cloud-config with `yaml`. `#cloud-config` must be the very first line, or
 * cloud-init does not treat the user-data as cloud-config at all.
 */
export function cloudConfigText(cc: CloudConfig): string {
  // YAML 1.1, as cloud-init's PyYAML reads it: strings such as `yes` or `0644` stay quoted.
  const doc = new Document({ write_files: cc.writeFiles, runcmd: cc.runcmd }, { version: '1.1' });
  // Each command on one line as a flow sequence, `- [ufw, --force, enable]`: reads as argv.
  const commands = doc.get('runcmd') as YAMLSeq<YAMLSeq>;
  for (const argv of commands.items) argv.flow = true;
  doc.commentBefore = cc.header
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  return `#cloud-config\n${doc.toString({ lineWidth: 0 })}`;
}
