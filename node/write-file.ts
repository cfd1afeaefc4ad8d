/** One cloud-init `write_files` entry (cc_write_files schema). */
export interface WriteFile {
  readonly path: string;
  readonly content: string;
  /**
   * Octal mode as a quoted string, as the cloud-init schema wants. Never executable: the
   * bootstrap writes data and units, not scripts.
   */
  readonly permissions: '0600' | '0640' | '0644';
  readonly owner?: string;
}

/** A file owned by root; cloud-init creates missing parent directories. */
export function rootFile(path: string, content: string, permissions: WriteFile['permissions']): WriteFile {
  return { path, content, permissions, owner: 'root:root' };
}
