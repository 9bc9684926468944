/**
 * What a server's state is, read from its `JupyterNotebook` alone: the hub's intent (`spec`,
 * the start request annotation) and the operator's status, which owns every runtime fact
 * (phase, ready address, why a start ended; src/kubernetes/operator/status.ts). Pure, so every
 * replica tells the same from the same watch cache, and every rule is unit-tested.
 *
 * The hub derives nothing the operator has not written: a status about an earlier start (its
 * generation or start request differs) only says "requested" until the operator catches up.
 */
import { annotationKeys, startRequestOf } from '../../kubernetes/labels.ts';
import {
  LOST_REASON,
  NODE_LOST_REASON,
  PULLING_REASON,
  QUEUED_REASON,
  RESTARTING_REASON,
  WAITING_FOR_SERVER_REASON,
} from '../../kubernetes/operator/status.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import type { ProgressEvent, Route, ServerStatus } from '../types.ts';
import { K8S_MESSAGES, K8S_PROGRESS } from './messages.ts';

/** A `JupyterNotebook` as read from a watch: only the fields read here. */
export interface ObservedNotebook {
  readonly metadata?:
    | {
        readonly generation?: number | undefined;
        readonly uid?: string | undefined;
        readonly deletionTimestamp?: string | Date | undefined;
        readonly annotations?: Readonly<Record<string, string>> | undefined;
      }
    | undefined;
  readonly spec?: unknown;
  readonly status?: unknown;
}

export interface ObserveInput {
  readonly notebook: ObservedNotebook | undefined;
  /** The server's token from its Secret, when the Secret is known. */
  readonly token: string | undefined;
  /** Servers queued before this one, when it waits for its turn to start. */
  readonly queueAhead?: number | undefined;
}

export interface Observation {
  readonly status: ServerStatus;
  readonly route?: Route | undefined;
  /** Where a start stands: the current step, or the terminal `ready`/`failed` event. */
  readonly progress?: ProgressEvent | undefined;
}

/** The profile annotation the hub writes with each start. */
export const PROFILE_ANNOTATION = 'ganymede.dev/profile';

function specStopped(spec: unknown): boolean {
  return (spec as { stopped?: unknown } | undefined)?.stopped === true;
}

function readyReason(status: NotebookStatus | undefined): string | undefined {
  return status?.conditions?.find((c) => c.type === 'Ready')?.reason;
}

/** Whether the operator's status is about the start the resource asks for now. */
export function isCurrent(nb: ObservedNotebook, status: NotebookStatus | undefined): boolean {
  return (
    status?.observedGeneration === (nb.metadata?.generation ?? 0) &&
    status.startRequestedAt === startRequestOf(nb.metadata?.annotations)
  );
}

/** The step a start is at, from the operator's reason for it. */
function startingStep(status: NotebookStatus, queueAhead: number | undefined): ProgressEvent {
  const reason = readyReason(status);
  if (reason === QUEUED_REASON) {
    return { progress: K8S_PROGRESS.queued, message: K8S_MESSAGES.queued(queueAhead ?? 0) };
  }
  if (reason === 'WaitingForStorage') {
    return { progress: K8S_PROGRESS.storage, message: K8S_MESSAGES.storage };
  }
  if (status.phase === 'Pending') {
    // The operator's diagnosis ("No machine in the cluster has 16Gi memory free…") says more
    // than a generic line, and is written for the same reader.
    const plain = reason === 'WaitingForMachine' ? K8S_MESSAGES.machine : status.message;
    return { progress: K8S_PROGRESS.machine, message: plain };
  }
  if (reason === PULLING_REASON) {
    return { progress: K8S_PROGRESS.downloading, message: K8S_MESSAGES.downloading };
  }
  if (reason === WAITING_FOR_SERVER_REASON) {
    return { progress: K8S_PROGRESS.waiting, message: K8S_MESSAGES.waiting };
  }
  return { progress: K8S_PROGRESS.starting, message: K8S_MESSAGES.starting };
}

export function observe(input: ObserveInput): Observation {
  const nb = input.notebook;
  if (nb === undefined) return { status: { phase: 'stopped' } };
  const annotations = nb.metadata?.annotations ?? {};
  const profile = annotations[PROFILE_ANNOTATION];
  const startedAtText = annotations[annotationKeys.startRequestedAt];
  const startedAt = startedAtText ? new Date(startedAtText) : undefined;
  const about = {
    ...(profile ? { profile } : {}),
    ...(startedAt && !Number.isNaN(startedAt.getTime()) ? { startedAt } : {}),
  };
  if (nb.metadata?.deletionTimestamp !== undefined) {
    return { status: { phase: 'stopping', message: K8S_MESSAGES.deleting } };
  }
  const raw = nb.status as NotebookStatus | undefined;
  const status = isCurrent(nb, raw) ? raw : undefined;
  if (specStopped(nb.spec)) {
    if (status?.phase === 'Stopped') return { status: { phase: 'stopped' } };
    return { status: { phase: 'stopping', message: K8S_MESSAGES.stopping, ...about } };
  }
  if (status === undefined) {
    const step = { progress: K8S_PROGRESS.requested, message: K8S_MESSAGES.requested };
    return { status: { phase: 'starting', message: step.message, ...about }, progress: step };
  }
  switch (status.phase) {
    case 'Running': {
      const route =
        status.readyAddress !== undefined && input.token !== undefined
          ? { target: `http://${status.readyAddress}`, token: input.token }
          : undefined;
      if (route === undefined || readyReason(status) === RESTARTING_REASON) {
        return { status: { phase: 'running', message: K8S_MESSAGES.restarting, ...about } };
      }
      return {
        status: { phase: 'running', ...about },
        route,
        progress: { progress: K8S_PROGRESS.done, message: K8S_MESSAGES.ready, ready: true },
      };
    }
    case 'Failed': {
      const detail = readyReason(status);
      return {
        status: {
          phase: 'failed',
          message: status.message,
          ...(detail === undefined ? {} : { detail }),
          ...about,
        },
        progress: {
          progress: K8S_PROGRESS.done,
          message: status.message,
          failed: true,
          ...(detail === undefined ? {} : { detail }),
        },
      };
    }
    case 'Stopped':
      // Stopped while asked to run: the operator saw the server's pod go (./status.ts).
      return readyReason(status) === LOST_REASON || readyReason(status) === NODE_LOST_REASON
        ? { status: { phase: 'stopped', message: status.message } }
        : { status: { phase: 'stopped' } };
    case 'Stopping':
      return { status: { phase: 'stopping', message: K8S_MESSAGES.stopping, ...about } };
    default: {
      const step = startingStep(status, input.queueAhead);
      return { status: { phase: 'starting', message: step.message, ...about }, progress: step };
    }
  }
}
