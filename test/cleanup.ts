import { runInThisContext } from 'vm';

/**
 * One registry of undo actions for everything the suite creates on the host: QEMU and mirror
 * processes (by PID), network namespaces, temporary directories. afterAll runs it; so do
 * SIGINT, SIGTERM, SIGHUP and process exit, because a developer who presses Ctrl-C during a
 * ten-minute boot must not be left with VMs eating both cores and a stray namespace.
 *
 * Every action is synchronous: signal handlers and 'exit' cannot wait for promises.
 */

/**
 * The real process object. Jest gives each test file a copy of `process` whose signal
 * listeners are never called (the signal reaches only the real one), so handlers go on the
 * object of the main context.
 */
const realProcess = runInThisContext('process') as NodeJS.Process;

interface Action {
  label: string;
  undo: () => void;
}

/**
 * One registry per process, kept on the real process object: jest loads this module afresh for
 * every test file of a worker, and per-module state would add a set of signal listeners for
 * each file (Node warns past ten) and leave an earlier file's list unreachable.
 */
const registry = ((realProcess as unknown as Record<symbol, { actions: Action[]; handlersInstalled: boolean }>)[
  Symbol.for('honeydue.test.cleanup')
] ??= {
  actions: [],
  handlersInstalled: false,
});
const actions = registry.actions;

export interface Cleanup {
  /** Runs the undo action now (once) and forgets it. */
  now(): void;
  /** Forgets the action without running it: the resource went away by itself. */
  forget(): void;
}

/** Registers an undo action, run at afterAll, SIGINT, SIGTERM, SIGHUP or exit unless done before. */
export function onCleanup(label: string, undo: () => void): Cleanup {
  installHandlers();
  const action: Action = { label, undo };
  actions.push(action);
  const take = () => {
    const i = actions.indexOf(action);
    return i >= 0 ? actions.splice(i, 1)[0] : undefined;
  };
  return {
    now: () => {
      const a = take();
      if (a) runAction(a);
    },
    forget: () => void take(),
  };
}

/** SIGKILLs a process (or, for a group leader, its whole process group) at cleanup. */
export function killOnCleanup(label: string, pid: number, group = false): Cleanup {
  return onCleanup(`${label} (pid ${pid})`, () => {
    try {
      realProcess.kill(group ? -pid : pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

/** Runs every registered action, newest first (processes die before their namespace goes). */
export function cleanupAll(): void {
  while (actions.length > 0) runAction(actions.pop()!);
}

function runAction(action: Action): void {
  try {
    action.undo();
  } catch (e) {
    // Keep going: one failed undo must not leave the remaining resources behind.
    realProcess.stderr.write(`cleanup of ${action.label} failed: ${(e as Error).message}\n`);
  }
}

function installHandlers(): void {
  if (registry.handlersInstalled) return;
  registry.handlersInstalled = true;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    realProcess.once(signal, () => {
      realProcess.stderr.write(`\n${signal}: cleaning up the test resources\n`);
      cleanupAll();
      realProcess.exit(code);
    });
  }
  realProcess.once('exit', cleanupAll);
}
