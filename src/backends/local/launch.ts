/**
 * Starting one notebook server process, detached so that it outlives the hub:
 * `detached: true` makes it the leader of a new session and process group (setsid(2)), its
 * output goes straight to a log file (no pipe to the hub that would break when the hub exits),
 * and `unref()` lets the hub exit without waiting for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import type { HubConnection, ServerRef } from '../types.ts';
import { findFreePort } from './free-port.ts';
import { buildJupyterLaunch } from './jupyter-command.ts';
import type { ServerLayout, UserLayout } from './layout.ts';
import { processIdentity, type ServerProcess } from './processes.ts';
import { writeServerState, type ServerState } from './state-file.ts';
import type { Profile } from '../../config/schema.ts';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LaunchedServer {
  readonly child: ChildProcess;
  readonly process: ServerProcess;
  readonly state: ServerState;
  /** Settles when the process exits; listened to from the moment of spawn, so never missed. */
  readonly exited: Promise<ExitInfo>;
}

export interface LaunchInput {
  readonly ref: ServerRef;
  readonly jupyter: string;
  readonly profile: Profile;
  readonly baseUrl: string;
  readonly user: UserLayout;
  readonly server: ServerLayout;
  readonly now: () => number;
  readonly parentEnv?: Readonly<Record<string, string | undefined>>;
  readonly hub?: HubConnection | undefined;
}

/** Creates the user's folders on first use; existing files are never touched. */
export async function prepareUserFolders(user: UserLayout): Promise<void> {
  await mkdir(user.userDir, { recursive: true, mode: 0o700 });
  for (const dir of [user.home, user.configDir, user.dataDir, user.runtimeDir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
}

/** Keeps the previous start's log next to the new one. */
export async function rotateLog(server: ServerLayout): Promise<void> {
  await mkdir(server.serverDir, { recursive: true, mode: 0o700 });
  try {
    await rename(server.logFile, server.previousLogFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function describeExit(exit: ExitInfo): string {
  if (exit.signal !== null) return `The process was ended by signal ${exit.signal}.`;
  return `The process exited with code ${exit.code ?? 'unknown'}.`;
}

/** A 256-bit random token, as URL-safe text (RFC 4648 §5). */
export function newServerToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function launchServer(input: LaunchInput): Promise<LaunchedServer> {
  const port = await findFreePort();
  const token = newServerToken();
  const { hub } = input;
  // Issued here, once per process launched: a start that joins one in flight issues none.
  const apiToken = hub?.apiUrl === undefined ? undefined : await hub.issueApiToken();
  const launch = buildJupyterLaunch({
    jupyter: input.jupyter,
    profile: input.profile,
    port,
    baseUrl: input.baseUrl,
    token,
    user: input.user,
    parentEnv: input.parentEnv ?? process.env,
    runningAsRoot: process.getuid?.() === 0,
    ...(hub === undefined
      ? {}
      : {
          hub: {
            user: input.ref.user,
            serverName: input.ref.server,
            servicePrefix: input.baseUrl,
            hubBaseUrl: hub.hubBaseUrl,
            hubHost: hub.hubHost,
            apiUrl: hub.apiUrl,
            apiToken,
          },
        }),
  });
  const logFd = openSync(input.server.logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn(2) failed (no such command, not executable): Node reports it as an 'error' event.
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new GanymedeError('internal', 'The notebook server could not be started.', {
      detail: `${launch.command}: ${error.message}`,
      cause: error,
    });
  }
  child.on('error', () => {
    // Errors after a successful spawn (a failed kill) must not crash the hub.
  });
  child.unref();
  const state: ServerState = {
    version: 1,
    user: input.ref.user,
    server: input.ref.server,
    pid,
    port,
    token,
    baseUrl: input.baseUrl,
    profile: input.profile.name,
    startedAt: new Date(input.now()).toISOString(),
  };
  try {
    const identity = await processIdentity(pid);
    const recorded = identity === undefined ? state : { ...state, pidIdentity: identity };
    await writeServerState(input.server.stateFile, recorded);
    return { child, process: { pid, identity }, state: recorded, exited };
  } catch (e) {
    // Without its state file nobody could ever find this process again: end it now.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
    throw e;
  }
}
