/**
 * Whether a process with this PID exists (EPERM: it does, owned by someone else). Leftovers
 * named after a PID (synth's temporary directories, the tests' run directories and network
 * namespaces) are removed only once that process is gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
