/**
 * What a server's state is, derived from the cluster alone: its `JupyterNotebook` (spec, the
 * operator's status, the hub's annotations), its pods and its token. Pure, with the clock as
 * an input, so every replica derives the same answer from the same watch caches and every
 * rule is unit-tested without a cluster.
 *
 * Pod readiness is the kubelet's Ready condition
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions); a pod
 * with a `deletionTimestamp` is on its way out and never routed to.
 */
import { admittedCondition, queuedSince } from '../../kubernetes/operator/admission.ts';
import { isPodReady, PULLING_REASON } from '../../kubernetes/operator/status.ts';
import type { Pod } from '../../kubernetes/plain.ts';
import { NOTEBOOK_PORT } from '../../kubernetes/resources/settings.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import type { ProgressEvent, Route, ServerStatus } from '../types.ts';
import { K8S_MESSAGES, K8S_PROGRESS } from './messages.ts';
import { hubAnnotations, parseOutcome, parseReadyPod, type Outcome } from './notebook-request.ts';

/** A `JupyterNotebook` as read from a watch: only the fields read here. */
export interface ObservedNotebook {
  readonly metadata?:
    | {
        readonly generation?: number | undefined;
        readonly deletionTimestamp?: string | Date | undefined;
        readonly annotations?: Readonly<Record<string, string>> | undefined;
      }
    | undefined;
  readonly spec?: unknown;
  readonly status?: unknown;
}

export interface ObserveInput {
  readonly notebook: ObservedNotebook | undefined;
  /** The notebook's pods (label `ganymede.dev/notebook`), terminating ones included. */
  readonly pods: readonly Pod[];
  /** The server's token from its Secret, when the Secret is known. */
  readonly token: string | undefined;
  readonly now: Date;
  readonly startTimeoutMs: number;
  /** Servers queued before this one, when it waits for its turn to start. */
  readonly queueAhead?: number | undefined;
}

/** A write the cluster needs so that it tells the same story to everyone who looks next. */
export type FollowUp =
  | { readonly kind: 'mark-ready'; readonly generation: number; readonly podUid: string }
  | { readonly kind: 'stop'; readonly outcome: Outcome };

export interface Observation {
  readonly status: ServerStatus;
  readonly route?: Route | undefined;
  /** Where a start stands: the current step, or the terminal `ready`/`failed` event. */
  readonly progress?: ProgressEvent | undefined;
  readonly followUp?: FollowUp | undefined;
}

export { isPodReady };

function isLive(pod: Pod): boolean {
  return pod.metadata?.deletionTimestamp === undefined && pod.status?.phase !== 'Failed';
}

function specStopped(spec: unknown): boolean {
  return (spec as { stopped?: unknown } | undefined)?.stopped === true;
}

function readyReason(status: NotebookStatus | undefined): string | undefined {
  return status?.conditions?.find((c) => c.type === 'Ready')?.reason;
}

/** The step a start is at, from the operator's status and the pod. */
function startingStep(
  status: NotebookStatus | undefined,
  generation: number | undefined,
  live: readonly Pod[],
  queueAhead: number | undefined,
): ProgressEvent {
  const current = status !== undefined && status.observedGeneration === generation;
  const pod = live[0];
  const running = pod?.status?.containerStatuses?.some((c) => c.state?.running !== undefined);
  if (running === true || (current && status.phase === 'Running')) {
    return { progress: K8S_PROGRESS.waiting, message: K8S_MESSAGES.waiting };
  }
  if (current && isQueued(status)) {
    return { progress: K8S_PROGRESS.queued, message: K8S_MESSAGES.queued(queueAhead ?? 0) };
  }
  // The operator says so only while the kubelet really downloads the image.
  if (current && readyReason(status) === PULLING_REASON) {
    return { progress: K8S_PROGRESS.downloading, message: K8S_MESSAGES.downloading };
  }
  if (pod?.spec?.nodeName !== undefined) {
    return { progress: K8S_PROGRESS.starting, message: K8S_MESSAGES.starting };
  }
  if (!current || status.phase === 'Stopping' || status.phase === 'Stopped') {
    return { progress: K8S_PROGRESS.requested, message: K8S_MESSAGES.requested };
  }
  const reason = readyReason(status);
  if (reason === 'WaitingForStorage') {
    return { progress: K8S_PROGRESS.storage, message: K8S_MESSAGES.storage };
  }
  if (status.phase === 'Pending') {
    // The operator's diagnosis ("No machine in the cluster has 16Gi memory free…") says more
    // than a generic line, and is written for the same reader.
    const plain = reason === 'WaitingForMachine' ? K8S_MESSAGES.machine : status.message;
    return { progress: K8S_PROGRESS.machine, message: plain };
  }
  return { progress: K8S_PROGRESS.starting, message: K8S_MESSAGES.starting };
}

export function observe(input: ObserveInput): Observation {
  const nb = input.notebook;
  if (nb === undefined) return { status: { phase: 'stopped' } };
  const annotations = nb.metadata?.annotations ?? {};
  const profile = annotations[hubAnnotations.profile];
  const startedAtText = annotations[hubAnnotations.startedAt];
  const startedAt = startedAtText ? new Date(startedAtText) : undefined;
  const about = {
    ...(profile ? { profile } : {}),
    ...(startedAt && !Number.isNaN(startedAt.getTime()) ? { startedAt } : {}),
  };
  if (nb.metadata?.deletionTimestamp !== undefined) {
    return { status: { phase: 'stopping', message: K8S_MESSAGES.deleting } };
  }
  const live = input.pods.filter(isLive);
  const outcome = parseOutcome(annotations[hubAnnotations.outcome]);
  if (specStopped(nb.spec)) {
    if (input.pods.some((p) => p.status?.phase !== 'Failed')) {
      return { status: { phase: 'stopping', message: K8S_MESSAGES.stopping, ...about } };
    }
    if (outcome?.phase === 'failed') {
      const failed = {
        phase: 'failed',
        message: outcome.message,
        ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
        ...about,
      } as const;
      return {
        status: failed,
        progress: {
          progress: K8S_PROGRESS.done,
          message: outcome.message,
          failed: true,
          ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
        },
      };
    }
    return {
      status: {
        phase: 'stopped',
        ...(outcome?.message === undefined ? {} : { message: outcome.message }),
      },
    };
  }

  const generation = nb.metadata?.generation ?? 0;
  const status = nb.status as NotebookStatus | undefined;
  const marker = parseReadyPod(annotations[hubAnnotations.readyPod]);
  const readyPod = live.find((p) => isPodReady(p) && p.status?.podIP);
  const routeOf = (pod: Pod | undefined): Route | undefined =>
    pod?.status?.podIP && input.token !== undefined
      ? { target: `http://${pod.status.podIP}:${NOTEBOOK_PORT}`, token: input.token }
      : undefined;
  const readyEvent: ProgressEvent = {
    progress: K8S_PROGRESS.done,
    message: K8S_MESSAGES.ready,
    ready: true,
  };

  if (marker?.generation === generation) {
    const first = live.find((p) => p.metadata?.uid === marker.uid);
    if (first === undefined) {
      const gone: Outcome = { phase: 'stopped', message: K8S_MESSAGES.gone };
      return {
        status: { phase: 'stopped', message: gone.message },
        followUp: { kind: 'stop', outcome: gone },
      };
    }
    const route = isPodReady(first) ? routeOf(first) : undefined;
    return {
      status: {
        phase: 'running',
        ...(route ? {} : { message: K8S_MESSAGES.restarting }),
        ...about,
      },
      route,
      progress: readyEvent,
    };
  }

  const route = routeOf(readyPod);
  if (readyPod?.metadata?.uid && route) {
    return {
      status: { phase: 'running', ...about },
      route,
      progress: readyEvent,
      followUp: { kind: 'mark-ready', generation, podUid: readyPod.metadata.uid },
    };
  }
  if (status?.phase === 'Failed' && status.observedGeneration === generation) {
    const detail = status.conditions?.find((c) => c.type === 'Ready')?.reason;
    const failed: Outcome = {
      phase: 'failed',
      message: status.message,
      ...(detail === undefined ? {} : { detail }),
    };
    return failedNow(failed, about);
  }
  const clockFrom = startClock(status, generation, startedAt);
  if (clockFrom !== undefined && input.now.getTime() - clockFrom > input.startTimeoutMs) {
    return failedNow(
      { phase: 'failed', message: K8S_MESSAGES.timedOut(Math.round(input.startTimeoutMs / 1000)) },
      about,
    );
  }
  const step = startingStep(status, generation, live, input.queueAhead);
  return { status: { phase: 'starting', message: step.message, ...about }, progress: step };
}

/** Waiting for a turn to start (src/kubernetes/operator/admission.ts). */
function isQueued(status: NotebookStatus | undefined): boolean {
  return queuedSince(status) !== undefined;
}

/**
 * When the start time-out's clock started (ms), or undefined when it does not run: time spent
 * waiting for a turn is not the server's fault, so the clock starts at the later of the
 * request and the admission, and stops while the server is queued.
 */
function startClock(
  status: NotebookStatus | undefined,
  generation: number,
  startedAt: Date | undefined,
): number | undefined {
  if (startedAt === undefined || Number.isNaN(startedAt.getTime())) return undefined;
  if (status?.observedGeneration !== generation) return startedAt.getTime();
  if (isQueued(status)) return undefined;
  const admitted = admittedCondition(status);
  const admittedAt = admitted?.status === 'True' ? Date.parse(admitted.lastTransitionTime) : NaN;
  return Number.isNaN(admittedAt) ? startedAt.getTime() : Math.max(startedAt.getTime(), admittedAt);
}

function failedNow(outcome: Outcome, about: Partial<ServerStatus>): Observation {
  return {
    status: {
      phase: 'failed',
      message: outcome.message,
      ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
      ...about,
    },
    progress: {
      progress: K8S_PROGRESS.done,
      message: outcome.message,
      failed: true,
      ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
    },
    followUp: { kind: 'stop', outcome },
  };
}
