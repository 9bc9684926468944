/**
 * A spawned server that must now answer, seen the same way whether it is our own child or a
 * process an earlier hub started: its state, how we learn that it died, and how to probe it.
 */
import { describeExit, type ExitInfo, type LaunchedServer } from './launch.ts';
import { isProcessAlive, type ServerProcess } from './processes.ts';
import type { Probe } from './readiness.ts';
import { processOf } from './server-entry.ts';
import type { ServerState } from './state-file.ts';

export interface Candidate {
  readonly state: ServerState;
  readonly process: ServerProcess;
  readonly ownChild: boolean;
  /** Aborted when the process is seen to exit. */
  readonly exitSignal: AbortSignal;
  /** How it exited, once known ("exited with code 3"). */
  readonly exitDetail: () => string | undefined;
  readonly probe: Probe;
  readonly timeoutMs: number;
}

/** Our own child: its 'exit' event says when it dies. */
export function candidateFromChild(
  launched: LaunchedServer,
  options: { probe: Probe; timeoutMs: number; onExit: (exit: ExitInfo) => void },
): Candidate {
  const exited = new AbortController();
  const observed: { exit?: ExitInfo } = {};
  void launched.exited.then((exit) => {
    observed.exit = exit;
    exited.abort();
    options.onExit(exit);
  });
  return {
    state: launched.state,
    process: launched.process,
    ownChild: true,
    exitSignal: exited.signal,
    exitDetail: () => (observed.exit === undefined ? undefined : describeExit(observed.exit)),
    probe: options.probe,
    timeoutMs: options.timeoutMs,
  };
}

/**
 * Started by an earlier hub process: not our child, so no 'exit' event; each probe checks
 * the pid first. It gets what is left of its start timeout, counted from `startedAt`.
 */
export function candidateFromState(
  state: ServerState,
  options: { probe: Probe; now: () => number; startTimeoutMs: number },
): Candidate {
  const exited = new AbortController();
  const process = processOf(state);
  const elapsed = options.now() - Date.parse(state.startedAt);
  return {
    state,
    process,
    ownChild: false,
    exitSignal: exited.signal,
    exitDetail: () => undefined,
    probe: async (target, timeoutMs) => {
      if (await isProcessAlive(process)) return options.probe(target, timeoutMs);
      exited.abort();
      return false;
    },
    timeoutMs: Math.max(1, options.startTimeoutMs - elapsed),
  };
}
