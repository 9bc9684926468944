/**
 * A long-running child process of the harness (etcd, kube-apiserver, a pod's container), with
 * its output in a log file and a stop that escalates from SIGTERM to SIGKILL.
 *
 * Every child is started under `setpriv --pdeathsig KILL` (util-linux): the kernel kills it
 * when the harness dies, even by SIGKILL, where no JavaScript exit handler could run. The
 * child also leads its own process group, so stop() reaches whatever it forked (a Jupyter
 * kernel, a shell's children).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface SpawnOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Wraps the setpriv invocation (`nsenter --net=… --`). */
  readonly prefix?: readonly string[];
  /**
   * More setpriv options (`--reuid`, `--regid`, `--groups`). They belong to the same setpriv
   * that sets pdeathsig: it applies the user change first and pdeathsig last, whereas a
   * later credential change would clear pdeathsig (prctl(2), PR_SET_PDEATHSIG).
   */
  readonly setpriv?: readonly string[];
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | undefined;

  constructor(name: string, options: SpawnOptions) {
    this.name = name;
    this.logFile = options.logFile;
    const log = openSync(options.logFile, 'a');
    try {
      const argv = [
        ...(options.prefix ?? []),
        'setpriv',
        '--pdeathsig',
        'KILL',
        ...(options.setpriv ?? []),
        '--',
        options.command,
        ...options.args,
      ];
      const [program, ...rest] = argv as [string, ...string[]];
      this.child = spawn(program, rest, {
        stdio: ['ignore', log, log],
        env: options.env ?? process.env,
        cwd: options.cwd,
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    this.exited = new Promise((resolve) => {
      const done = (info: ExitInfo): void => {
        this.#exit = info;
        resolve(info);
      };
      this.child.once('exit', (code, signal) => {
        done({ code, signal });
      });
      this.child.once('error', () => {
        done({ code: 127, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  /** Sends a signal to the whole process group; a no-op once the process is gone. */
  signal(signal: NodeJS.Signals): void {
    if (this.#exit) return;
    killGroup(this.child.pid, signal);
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`. Idempotent; resolves when the process has exited.
   * A second call with a shorter grace period brings the SIGKILL forward (a pod deleted again
   * with a smaller --grace-period).
   */
  async stop(graceMs: number): Promise<ExitInfo> {
    if (this.#exit) return this.#exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.signal('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
      // Group members that outlived their leader (a kernel, a shell's child) go with it.
      killGroup(this.child.pid, 'SIGKILL');
    }
  }

  /** The last `lines` lines of the log, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '';
    }
  }
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone (ESRCH): nothing left to signal.
  }
}
