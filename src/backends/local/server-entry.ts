/**
 * What the local backend knows about one server, in memory, and small pure helpers on it.
 * In-flight operations are kept on the entry (`start`, `stopping`, `crashing`)
 * so that a second caller joins the first instead of racing it (../types.ts lifecycle rules).
 */
import type { Route, ServerRef, ServerStatus } from '../types.ts';
import type { ServerProcess } from './processes.ts';
import type { StartInFlight } from '../start-in-flight.ts';
import type { ServerState } from './state-file.ts';

export interface Entry {
  readonly ref: ServerRef;
  status: ServerStatus;
  /** Set while running (or starting after spawn). */
  running?:
    | {
        readonly state: ServerState;
        readonly process: ServerProcess;
        readonly route: Route;
        /** False for servers adopted from an earlier hub process. */
        readonly ownChild: boolean;
      }
    | undefined;
  /** The start in flight and its progress (../start-in-flight.ts, shared with Kubernetes). */
  readonly start: StartInFlight;
  stopping?: Promise<void>;
  crashing?: Promise<void>;
}

/** Reads `aborted` afresh (TypeScript keeps a narrowing of it across awaits). */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

export function runningStatus(state: ServerState): ServerStatus {
  return { phase: 'running', profile: state.profile, startedAt: new Date(state.startedAt) };
}

export function processOf(state: ServerState): ServerProcess {
  return { pid: state.pid, identity: state.pidIdentity };
}

export function routeOf(state: ServerState): Route {
  return { target: `http://127.0.0.1:${state.port}`, token: state.token };
}

/** Read through functions: TypeScript keeps narrowings of fields across awaits. */
export function statusOf(entry: Entry): ServerStatus {
  return entry.status;
}

export function startingOf(entry: Entry): Promise<ServerStatus> | undefined {
  return entry.start.current;
}

/** True while an operation is in flight or the server runs. */
export function isBusy(entry: Entry): boolean {
  return (
    entry.start.current !== undefined ||
    entry.stopping !== undefined ||
    entry.crashing !== undefined ||
    entry.running !== undefined
  );
}
