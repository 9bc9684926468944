/** Child processes of the benchmark (the hubs), with their output in a log file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});

export interface HubProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  logTail(lines?: number): string;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: { logFile: string; env: NodeJS.ProcessEnv; cwd?: string },
): HubProcess {
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', log, log],
    env: options.env,
    cwd: options.cwd,
    detached: true, // its own process group: stop() reaches what it spawned (CHP)
  });
  closeSync(log);
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // Already gone.
    }
  };
  return {
    child,
    logFile: options.logFile,
    logTail(lines = 30) {
      try {
        return readFileSync(options.logFile, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      const timer = setTimeout(() => {
        signal('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
      signal('SIGKILL');
    },
  };
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Polls `check` until it holds; fails early when the process exits. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; process?: HubProcess },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const p = options.process?.child;
    if (p && (p.exitCode !== null || p.signalCode !== null)) {
      throw new Error(
        `${what}: the process exited; log ${options.process?.logFile ?? ''}:\n${options.process?.logTail() ?? ''}`,
      );
    }
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}
