/**
 * The local backend: each notebook server is a Jupyter process on this machine. It keeps the
 * lifecycle rules of ../types.ts; how, in short:
 *
 * - One in-memory `Entry` per server. `start` and `stop` store their in-flight promise on it,
 *   synchronously, before any `await`, so concurrent calls join instead of racing.
 * - A start: folders → spawn (detached, ./launch.ts) → state.json → poll `api/status`
 *   (./readiness.ts) until it answers, the process exits, the time is up, or a stop arrives.
 *   Whatever ends a start early also ends its processes, so no orphan is left behind.
 * - Crashes: our own children report through their 'exit' event; adopted servers (started by
 *   an earlier hub process, so not our children) are checked by pid on `status` and every
 *   `checkIntervalMs`.
 * - `list` (at hub start-up) adopts every server whose state.json names a live process of
 *   ours that answers its token, keeps waiting for one that is still within its start
 *   timeout, and ends and forgets the rest. `start` does the same for its own server first,
 *   so a hub that skipped `list` still never runs two servers for one name.
 * - `progress` follows the start in flight (replay + live); when none is in flight it yields
 *   the last start's terminal event (its `failed` event, or `ready` while the server still
 *   runs); after a stop or a crash it yields nothing. Called before any start: nothing.
 * - `close` stops timers and stops waiting on starts; it never ends a server. A start cut
 *   short by `close` resolves with phase `starting`; the next hub's `list` finishes it.
 *
 * For notebooks to survive a hub restart under systemd, the hub's unit needs
 * `KillMode=process`: the default (control-group) kills every process of the unit, detached
 * or not (systemd.kill(5)).
 */
import { rm } from 'node:fs/promises';
import { GanymedeError, isGanymedeError } from '../../errors/ganymede-error.ts';
import type {
  Backend,
  DeleteOptions,
  FoundServer,
  ProgressEvent,
  Route,
  ServerRef,
  ServerFilter,
  ServerStatus,
  StartOptions,
} from '../types.ts';
import { StartInFlight } from '../start-in-flight.ts';
import { candidateFromChild, candidateFromState, type Candidate } from './candidate.ts';
import {
  describeExit,
  launchServer,
  prepareUserFolders,
  rotateLog,
  type ExitInfo,
  type LaunchedServer,
} from './launch.ts';
import { refKey, serverLayout, userLayout } from './layout.ts';
import { readLogTail } from './log-tail.ts';
import {
  parseBaseUrl,
  parseSettings,
  silentBackendLogger as silent,
  type LocalBackendOptions,
} from './options.ts';
import { isProcessAlive, terminateServerProcess, type ServerProcess } from './processes.ts';
import { MESSAGES, PROGRESS } from './messages.ts';
import {
  isAborted,
  isBusy,
  processOf,
  routeOf,
  runningStatus,
  startingOf,
  statusOf,
  type Entry,
} from './server-entry.ts';
import { probeJupyter, waitUntilReady } from './readiness.ts';
import {
  findStateFiles,
  readServerState,
  removeServerState,
  type ServerState,
} from './state-file.ts';

export function createLocalBackend(options: LocalBackendOptions): Backend {
  const settings = parseSettings(options);
  const log = options.log ?? silent;
  const now = options.now ?? Date.now;
  const probe = options.probe ?? probeJupyter;
  const entries = new Map<string, Entry>();
  let closed = false;

  const entryOf = (ref: ServerRef): Entry => {
    const key = refKey(ref);
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = {
        ref: { user: ref.user, server: ref.server },
        status: { phase: 'stopped' },
        start: new StartInFlight(),
      };
      entries.set(key, entry);
    }
    return entry;
  };

  const layoutOf = (ref: ServerRef) => serverLayout(settings.dataDir, ref);

  const terminate = (process: ServerProcess) =>
    terminateServerProcess(process, { graceMs: settings.stopGraceMs, now });

  /** Ends whatever is left of a server and forgets its state file; keeps home and log. */
  const cleanUp = async (ref: ServerRef, process: ServerProcess | undefined): Promise<void> => {
    if (process !== undefined) {
      const result = await terminate(process);
      log.info({ ref, pid: process.pid, result }, 'notebook server processes ended');
    }
    await removeServerState(layoutOf(ref).stateFile);
  };

  const logTail = (ref: ServerRef, token: string | undefined, extra?: string): Promise<string> =>
    readLogTail(layoutOf(ref).logFile, token === undefined ? [] : [token]).then((tail) =>
      [tail, extra].filter((part) => part !== undefined && part !== '').join('\n'),
    );

  /**
   * A running server's process died on its own: report it stopped, with its last words. The
   * clean-up is kept on the entry (`crashing`) so `status`, `start` and `stop` wait for it.
   */
  const noticeCrash = (entry: Entry, exit: ExitInfo | undefined): Promise<void> => {
    const running = entry.running;
    if (entry.crashing !== undefined) return entry.crashing;
    if (closed || running === undefined || entry.status.phase !== 'running') {
      return Promise.resolve();
    }
    entry.running = undefined;
    entry.start.progress = undefined;
    entry.status = { phase: 'stopping' };
    const crashing = (async () => {
      // Kernels may outlive a crashed Jupyter; the group may hold more.
      await cleanUp(entry.ref, running.process);
      const detail = await logTail(
        entry.ref,
        running.state.token,
        exit === undefined ? undefined : describeExit(exit),
      );
      entry.status = { phase: 'stopped', message: MESSAGES.crashed, detail };
      log.warn({ ref: entry.ref, pid: running.process.pid, detail }, 'notebook server crashed');
    })().finally(() => {
      delete entry.crashing;
    });
    entry.crashing = crashing;
    return crashing;
  };

  /** Checks a running server's pid (cheap: one /proc read); settles a crash being handled. */
  const refresh = async (entry: Entry): Promise<void> => {
    if (entry.crashing !== undefined) {
      await entry.crashing;
      return;
    }
    const running = entry.running;
    if (running === undefined || entry.status.phase !== 'running') return;
    if (!(await isProcessAlive(running.process))) await noticeCrash(entry, undefined);
  };

  const emit = (entry: Entry, event: ProgressEvent): void => {
    entry.start.progress?.push(event);
  };

  const fail = async (
    entry: Entry,
    status: ServerStatus & { message: string },
    process: ServerProcess | undefined,
    token: string | undefined,
    extraDetail?: string,
  ): Promise<ServerStatus> => {
    entry.running = undefined;
    await cleanUp(entry.ref, process);
    const detail = status.detail ?? (await logTail(entry.ref, token, extraDetail));
    const final: ServerStatus = { ...status, detail };
    entry.status = final;
    emit(entry, {
      progress: PROGRESS.done,
      message: status.message,
      failed: true,
      detail,
    });
    log.warn({ ref: entry.ref, status: final }, 'notebook server start failed');
    return final;
  };

  /**
   * What became of a server recorded in state.json by this or an earlier hub process:
   * `answering` (adopt it), `starting` (alive, silent, and still within its start timeout:
   * wait for it), `silent` (alive but past its time: end it) or `gone`.
   */
  const inspect = async (
    state: ServerState,
  ): Promise<'answering' | 'starting' | 'silent' | 'gone'> => {
    const process = processOf(state);
    if (!(await isProcessAlive(process))) return 'gone';
    if (await probe(state, settings.probeTimeoutMs)) return 'answering';
    const age = now() - Date.parse(state.startedAt);
    return age >= 0 && age < settings.startTimeoutMs ? 'starting' : 'silent';
  };

  const adopt = (entry: Entry, state: ServerState): ServerStatus => {
    entry.running = { state, process: processOf(state), route: routeOf(state), ownChild: false };
    entry.status = runningStatus(state);
    log.info({ ref: entry.ref, pid: state.pid, port: state.port }, 'notebook server adopted');
    return entry.status;
  };

  const childCandidate = (entry: Entry, launched: LaunchedServer): Candidate =>
    candidateFromChild(launched, {
      probe,
      timeoutMs: settings.startTimeoutMs,
      onExit: (exit) => {
        if (entry.running?.process.pid === launched.process.pid) void noticeCrash(entry, exit);
      },
    });

  const adoptedCandidate = (state: ServerState): Candidate =>
    candidateFromState(state, { probe, now, startTimeoutMs: settings.startTimeoutMs });

  /** Waits for a spawned server to answer; whatever ends the wait early ends the server. */
  const awaitCandidate = async (
    entry: Entry,
    candidate: Candidate,
    signal: AbortSignal,
  ): Promise<ServerStatus> => {
    const { state, process } = candidate;
    entry.running = { state, process, route: routeOf(state), ownChild: candidate.ownChild };
    emit(entry, { progress: PROGRESS.waiting, message: MESSAGES.waiting });
    const outcome = await waitUntilReady({
      target: state,
      timeoutMs: candidate.timeoutMs,
      probeTimeoutMs: settings.probeTimeoutMs,
      signal: AbortSignal.any([signal, candidate.exitSignal]),
      probe: candidate.probe,
      now,
    });
    // Read after the await: the exit handler and stop() change these meanwhile.
    const exited = isAborted(candidate.exitSignal);
    const stopped = isAborted(signal);
    if (outcome === 'ready' && !stopped && !exited) {
      entry.status = runningStatus(state);
      emit(entry, { progress: PROGRESS.done, message: MESSAGES.ready, ready: true });
      log.info({ ref: entry.ref, pid: state.pid }, 'notebook server ready');
      return entry.status;
    }
    if (exited) {
      const status = { phase: 'failed', message: MESSAGES.exitedWhileStarting } as const;
      return fail(entry, status, process, state.token, candidate.exitDetail());
    }
    if (stopped) {
      if (signal.reason === 'closed') {
        emit(entry, { progress: PROGRESS.done, message: MESSAGES.hubClosing, failed: true });
        return entry.status;
      }
      return cancelled(entry, process);
    }
    const message = MESSAGES.timedOut(settings.startTimeoutMs);
    return fail(entry, { phase: 'failed', message }, process, state.token);
  };

  const runStart = async (
    entry: Entry,
    startOptions: StartOptions,
    baseUrl: string,
    signal: AbortSignal,
  ): Promise<ServerStatus> => {
    const ref = entry.ref;
    const user = userLayout(settings.dataDir, ref.user, ref.server);
    const server = layoutOf(ref);
    emit(entry, { progress: PROGRESS.preparing, message: MESSAGES.preparing });
    let launched: LaunchedServer;
    try {
      // A server left by an earlier hub process (list() not called yet) is reused or ended,
      // never doubled.
      const previous = await readServerState(server.stateFile).catch(() => undefined);
      if (previous !== undefined) {
        const found = await inspect(previous);
        if (found === 'answering') {
          adopt(entry, previous);
          emit(entry, { progress: PROGRESS.done, message: MESSAGES.ready, ready: true });
          return entry.status;
        }
        if (found === 'starting')
          return await awaitCandidate(entry, adoptedCandidate(previous), signal);
        await cleanUp(ref, processOf(previous));
      }
      await prepareUserFolders(user);
      await rotateLog(server);
      if (isAborted(signal)) return await cancelled(entry, undefined);
      emit(entry, { progress: PROGRESS.starting, message: MESSAGES.starting });
      launched = await launchServer({
        ref,
        jupyter: settings.jupyter,
        profile: startOptions.profile,
        baseUrl,
        user,
        server,
        now,
        hub: startOptions.hub,
        ...(options.parentEnv === undefined ? {} : { parentEnv: options.parentEnv }),
      });
    } catch (e) {
      const detail = isGanymedeError(e) ? (e.detail ?? e.message) : String(e);
      const status = { phase: 'failed', message: MESSAGES.couldNotStart, detail } as const;
      return await fail(entry, status, undefined, undefined);
    }
    log.info(
      { ref, pid: launched.state.pid, port: launched.state.port },
      'notebook server spawned',
    );
    return awaitCandidate(entry, childCandidate(entry, launched), signal);
  };

  const cancelled = async (entry: Entry, process: ServerProcess | undefined) => {
    entry.running = undefined;
    await cleanUp(entry.ref, process);
    entry.status = { phase: 'stopped', message: MESSAGES.cancelled };
    emit(entry, { progress: PROGRESS.done, message: MESSAGES.cancelled, failed: true });
    return entry.status;
  };

  /** Records an in-flight start on the entry, synchronously, so concurrent callers join it. */
  const beginStart = (
    entry: Entry,
    profile: string,
    run: (signal: AbortSignal) => Promise<ServerStatus>,
  ): Promise<ServerStatus> => {
    if (entry.start.current === undefined) entry.status = { phase: 'starting', profile };
    return entry.start.begin((signal) => run(signal));
  };

  const start = async (ref: ServerRef, options: StartOptions): Promise<ServerStatus> => {
    if (closed) {
      throw new GanymedeError('unavailable', 'The hub is restarting. Please try again shortly.', {
        detail: 'start() after close()',
      });
    }
    const baseUrl = parseBaseUrl(options.baseUrl);
    const entry = entryOf(ref);
    while (entry.stopping !== undefined || entry.crashing !== undefined) {
      await (entry.stopping ?? entry.crashing);
    }
    if (entry.start.current !== undefined) return entry.start.current;
    if (entry.status.phase === 'running') {
      await refresh(entry);
      // refresh() may have noticed a crash, and another start may have begun meanwhile.
      const current = statusOf(entry);
      if (current.phase === 'running') return current;
      const joined = startingOf(entry);
      if (joined !== undefined) return joined;
    }
    return beginStart(entry, options.profile.name, (signal) =>
      runStart(entry, options, baseUrl, signal),
    );
  };

  const stopEntry = async (entry: Entry): Promise<void> => {
    if (entry.crashing !== undefined) await entry.crashing;
    await entry.start.cancel('stopped');
    const running = entry.running;
    entry.running = undefined;
    if (running !== undefined) {
      entry.status = { phase: 'stopping' };
      await cleanUp(entry.ref, running.process);
      log.info({ ref: entry.ref, pid: running.process.pid }, 'notebook server stopped');
    } else {
      // Not known in memory, but an earlier hub process may have left one running.
      const state = await readServerState(layoutOf(entry.ref).stateFile).catch(() => undefined);
      if (state !== undefined) await cleanUp(entry.ref, processOf(state));
    }
    entry.start.progress = undefined;
    entry.status = { phase: 'stopped' };
  };

  const stop = async (ref: ServerRef): Promise<void> => {
    const entry = entryOf(ref);
    if (entry.stopping !== undefined) return entry.stopping;
    const stopping = stopEntry(entry).finally(() => {
      if (entry.stopping === stopping) delete entry.stopping;
    });
    entry.stopping = stopping;
    return stopping;
  };

  const otherServersOfUser = (ref: ServerRef): ServerRef[] =>
    [...entries.values()]
      .filter(
        (e) =>
          e.ref.user === ref.user &&
          e.ref.server !== ref.server &&
          (e.status.phase === 'running' || e.status.phase === 'starting'),
      )
      .map((e) => e.ref);

  const deleteServer = async (ref: ServerRef, options: DeleteOptions = {}): Promise<void> => {
    // A named server's files are its own; the default server's storage is the user's folder,
    // named servers' files included, so it waits until none of them runs.
    if (options.deleteStorage === true && ref.server === '' && otherServersOfUser(ref).length > 0) {
      throw new GanymedeError(
        'conflict',
        "This person's files are in use by another of their servers; stop it first.",
        { detail: `servers running: ${JSON.stringify(otherServersOfUser(ref))}` },
      );
    }
    await stop(ref);
    const entry = entries.get(refKey(ref));
    if (entry?.start.current !== undefined || entry?.status.phase === 'running') return;
    entries.delete(refKey(ref));
    await rm(layoutOf(ref).serverDir, { recursive: true, force: true });
    if (options.deleteStorage === true) {
      const layout = userLayout(settings.dataDir, ref.user, ref.server);
      await rm(ref.server === '' ? layout.userDir : layout.home, { recursive: true, force: true });
      log.warn({ ref }, "user's files deleted on request");
    }
  };

  const status = async (ref: ServerRef): Promise<ServerStatus> => {
    const entry = entries.get(refKey(ref));
    if (entry === undefined) return { phase: 'stopped' };
    await refresh(entry);
    return statusOf(entry);
  };

  async function* progress(ref: ServerRef): AsyncGenerator<ProgressEvent, void, undefined> {
    const progressLog = entries.get(refKey(ref))?.start.progress;
    if (progressLog === undefined) return;
    if (progressLog.done) {
      const terminal = progressLog.terminal();
      if (terminal !== undefined) yield terminal;
      return;
    }
    yield* progressLog.follow();
  }

  /** One state file found at start-up: adopt it, or clean up after it. */
  const recover = async (
    file: string,
  ): Promise<{ ref: ServerRef; status: ServerStatus } | undefined> => {
    let state: ServerState | undefined;
    try {
      state = await readServerState(file);
    } catch (e) {
      log.warn({ file, err: e }, 'damaged notebook server record removed');
      await removeServerState(file);
      return undefined;
    }
    if (state === undefined) return undefined;
    const ref: ServerRef = { user: state.user, server: state.server };
    if (layoutOf(ref).stateFile !== file) {
      log.warn({ file, ref }, 'notebook server record in the wrong folder ignored');
      return undefined;
    }
    const entry = entryOf(ref);
    if (isBusy(entry)) return { ref, status: statusOf(entry) };
    const found = await inspect(state);
    // A start, stop or another list() may have taken this server on during the probe.
    if (isBusy(entry)) return { ref, status: statusOf(entry) };
    if (found === 'answering') return { ref, status: adopt(entry, state) };
    if (found === 'starting') {
      // Still starting when the last hub went away: finish waiting for it, in the background.
      void beginStart(entry, state.profile, (signal) => {
        emit(entry, { progress: PROGRESS.starting, message: MESSAGES.starting });
        return awaitCandidate(entry, adoptedCandidate(state), signal);
      });
      return { ref, status: statusOf(entry) };
    }
    await cleanUp(ref, processOf(state));
    const detail = await logTail(ref, state.token);
    const message = found === 'silent' ? MESSAGES.unresponsive : MESSAGES.goneWhileAway;
    entry.status = { phase: 'stopped', message, detail };
    log.warn({ ref, pid: state.pid, found }, 'notebook server from an earlier hub not adopted');
    return { ref, status: entry.status };
  };

  const list = async (): Promise<{ ref: ServerRef; status: ServerStatus }[]> => {
    const files = await findStateFiles(settings.dataDir);
    const recovered = (await Promise.all(files.map(recover))).filter((r) => r !== undefined);
    const seen = new Set(recovered.map((r) => refKey(r.ref)));
    for (const entry of entries.values()) {
      // Servers known here: running ones, and stopped ones with a reason worth showing.
      const worthListing = entry.status.phase !== 'stopped' || entry.status.message !== undefined;
      if (!seen.has(refKey(entry.ref)) && worthListing) {
        recovered.push({ ref: entry.ref, status: statusOf(entry) });
      }
    }
    return recovered;
  };

  // One machine runs a bounded number of Jupyter processes (each takes ~100 MB), so a pass
  // over this process table is the index.
  const find = (filter: ServerFilter): FoundServer[] =>
    [...entries.values()].flatMap((entry) => {
      if (filter.user !== undefined && entry.ref.user !== filter.user) return [];
      const status = statusOf(entry);
      return filter.phases.includes(status.phase) ? [{ ref: entry.ref, status }] : [];
    });

  const route = (ref: ServerRef): Route | undefined => {
    const entry = entries.get(refKey(ref));
    return entry?.status.phase === 'running' ? entry.running?.route : undefined;
  };

  const checkAdopted = async (): Promise<void> => {
    await Promise.all(
      [...entries.values()]
        .filter((e) => e.running !== undefined && !e.running.ownChild)
        .map((e) => refresh(e)),
    );
  };
  const timer = setInterval(() => {
    checkAdopted().catch((e: unknown) => {
      log.error({ err: e }, 'checking adopted notebook servers failed');
    });
  }, settings.checkIntervalMs);
  timer.unref();

  const close = async (): Promise<void> => {
    closed = true;
    clearInterval(timer);
    await Promise.allSettled([...entries.values()].map((e) => e.start.cancel('closed')));
  };

  return {
    kind: 'local',
    start,
    stop,
    delete: deleteServer,
    status,
    progress,
    list,
    find,
    route,
    close,
  };
}
