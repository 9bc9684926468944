/**
 * The notebook's status from what the operator observes: pure, with the clock as an input, so
 * every phase and message is unit-tested without a cluster. Condition times move only when a
 * condition's status changes (Kubernetes API conventions, "Typical status properties").
 */
import type { NotebookSpec } from '../../notebook-spec/schema.ts';
import type {
  ConditionType,
  NotebookCondition,
  NotebookPhase,
  NotebookStatus,
} from '../../notebook-spec/status.ts';
import type { Pod } from '../plain.ts';
import type { Diagnosis } from './diagnose.ts';

export interface StatusInput {
  readonly spec: NotebookSpec;
  readonly generation: number | undefined;
  readonly previous: NotebookStatus | undefined;
  /** The notebook's pods, including ones being deleted. */
  readonly pods: readonly Pod[];
  readonly diagnosis: Diagnosis | undefined;
  /** The kubelet is downloading the image (the first start of an environment on a machine). */
  readonly pullingImage?: boolean;
  /** Why the last apply failed, if it did. */
  readonly applyError?: { readonly message: string; readonly permanent: boolean } | undefined;
  readonly claimBound: boolean | undefined;
  /** Start admission's answer (./admission.ts); undefined: no admission control. */
  readonly admission?: { readonly admit: boolean } | undefined;
  readonly url: string;
  readonly tokenSecretName: string;
  readonly now: Date;
  /**
   * The hub's start request (annotation `ganymede.dev/started-at`); undefined for a notebook
   * applied by hand. Only hub-started servers are judged per start (a failure, a time-out or a
   * lost pod holds until the next request): hand-made ones heal like any Deployment.
   */
  readonly startRequestedAt?: string | undefined;
  /** A hub-started server not ready this long after its start (or its admission) failed. */
  readonly startTimeoutMs?: number | undefined;
  /** The port the notebook server listens on in its pod. */
  readonly port: number;
  /** Uids of the pods bound to a lost node (./node-health.ts): they serve no one. */
  readonly podsOnLostNodes?: ReadonlySet<string>;
}

/**
 * Whether the pod serves, as its node last reported. `Ready` is what the kubelet says, except
 * in one case: when the node lifecycle controller stops hearing from a node it sets its pods'
 * `Ready` to False and leaves `ContainersReady` as the kubelet last reported it. It does so
 * after any API server outage longer than the node grace period (40-50 s): the heartbeats it
 * missed were the API server's absence, not the machine's, and the pods never stopped
 * answering (issue 16). The kubelet itself always sets the two together (Ready is
 * ContainersReady plus readiness gates, which these pods have none of), so Ready False with
 * ContainersReady True means "the node is not heard from", and the last known state holds: the
 * server keeps its route. A node really gone ends in its pods' eviction, then a lost server.
 */
export function isPodReady(pod: Pod): boolean {
  const conditions = pod.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready')?.status;
  if (ready === 'True') return true;
  const containersReady = conditions.find((c) => c.type === 'ContainersReady')?.status;
  return (
    ready === 'False' && containersReady === 'True' && (pod.spec?.readinessGates?.length ?? 0) === 0
  );
}

export function isTerminating(pod: Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined;
}

function condition(
  previous: NotebookStatus | undefined,
  type: ConditionType,
  status: NotebookCondition['status'],
  reason: string,
  message: string,
  now: Date,
  generation: number | undefined,
): NotebookCondition {
  const before = previous?.conditions?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime: before?.status === status ? before.lastTransitionTime : now.toISOString(),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
}

export const QUEUED_REASON = 'Queued';
export const LOST_REASON = 'PodLost';
export const LOST_MESSAGE =
  'The notebook server stopped unexpectedly: the machine running it went away (or its pod was removed). Your files are kept; start it again to continue.';
export const NODE_LOST_REASON = 'NodeLost';
export const NODE_LOST_MESSAGE =
  'The notebook server stopped: the machine running your notebook went away; your files are kept. Start it again to continue.';
export const NODE_LOST_STARTING_MESSAGE =
  'The notebook server could not start: the machine it was starting on went away; your files are kept. Start it again to continue.';
export const TIMED_OUT_REASON = 'TimedOut';
export const timedOutMessage = (seconds: number): string =>
  `The notebook server did not become ready within ${String(seconds)} seconds. Your files are kept; try again, or ask your administrator.`;
export const WAITING_FOR_SERVER_REASON = 'WaitingForServer';
export const RESTARTING_REASON = 'Restarting';
export const PULLING_REASON = 'DownloadingImage';
export const PULLING_MESSAGE =
  'Downloading the environment (first time only): this can take a few minutes.';
export const ADMITTED_REASON = 'Admitted';
export const QUEUED_MESSAGE =
  'Many notebook servers are starting at once; this one starts when its turn comes.';

interface PhaseAndMessage {
  readonly phase: NotebookPhase;
  readonly reason: string;
  readonly message: string;
}

function onLostNode(input: StatusInput, pod: Pod): boolean {
  const uid = pod.metadata?.uid;
  return uid !== undefined && (input.podsOnLostNodes?.has(uid) ?? false);
}

function phaseOf(input: StatusInput): PhaseAndMessage {
  const live = input.pods.filter((p) => !isTerminating(p) && !onLostNode(input, p));
  if (input.applyError?.permanent) {
    return {
      phase: 'Failed',
      reason: 'InvalidSettings',
      message: `The cluster refused this notebook's settings: ${input.applyError.message}`,
    };
  }
  if (input.spec.stopped) {
    return input.pods.length > 0
      ? { phase: 'Stopping', reason: 'Stopping', message: 'The notebook server is shutting down.' }
      : {
          phase: 'Stopped',
          reason: 'Stopped',
          message: 'The notebook server is stopped. Your files are kept.',
        };
  }
  if (live.some(isPodReady)) {
    return { phase: 'Running', reason: 'Running', message: 'The notebook server is running.' };
  }
  if (input.admission?.admit === false) {
    return { phase: 'Pending', reason: QUEUED_REASON, message: QUEUED_MESSAGE };
  }
  const d = input.diagnosis;
  if (d)
    return {
      phase: d.severity === 'failed' ? 'Failed' : 'Pending',
      reason: d.reason,
      message: d.message,
    };
  const pod = live[0];
  if (!pod?.spec?.nodeName) {
    return input.claimBound === false
      ? {
          phase: 'Pending',
          reason: 'WaitingForStorage',
          message: 'Preparing storage for your files.',
        }
      : {
          phase: 'Pending',
          reason: 'WaitingForMachine',
          message: 'Waiting for a machine to run the notebook server.',
        };
  }
  if (input.pullingImage === true) {
    return { phase: 'Starting', reason: PULLING_REASON, message: PULLING_MESSAGE };
  }
  if (pod.status?.containerStatuses?.some((c) => c.state?.running !== undefined) === true) {
    return {
      phase: 'Starting',
      reason: WAITING_FOR_SERVER_REASON,
      message: 'The notebook server is starting and will answer shortly.',
    };
  }
  return { phase: 'Starting', reason: 'Starting', message: 'The notebook server is starting.' };
}

function readyReasonOf(status: NotebookStatus | undefined): string | undefined {
  return status?.conditions?.find((c) => c.type === 'Ready')?.reason;
}

/** What the per-start rules read. */
export type StartInput = Pick<
  StatusInput,
  'spec' | 'generation' | 'previous' | 'startRequestedAt' | 'startTimeoutMs' | 'admission' | 'now'
>;

/** Whether `previous` describes the same start as `input` (same spec generation and request). */
function sameStart(input: StartInput): boolean {
  const p = input.previous;
  return (
    p !== undefined &&
    p.observedGeneration === input.generation &&
    p.startRequestedAt === input.startRequestedAt
  );
}

/** An end this start cannot recover from by itself: a failure, a time-out, a lost pod. */
export function isTerminal(status: NotebookStatus | undefined): boolean {
  return (
    status?.phase === 'Failed' ||
    (status?.phase === 'Stopped' &&
      (readyReasonOf(status) === LOST_REASON || readyReasonOf(status) === NODE_LOST_REASON))
  );
}

/**
 * Whether this start has ended and must stay ended until the next request: only for servers the
 * hub started, which the hub (or the person) starts again explicitly. The reconciler then keeps
 * no pod (files stay), so a crash loop or a broken image does not run on for nothing.
 */
export function heldEnded(input: StartInput): boolean {
  return (
    input.startRequestedAt !== undefined &&
    !input.spec.stopped &&
    sameStart(input) &&
    isTerminal(input.previous)
  );
}

/** When the start time-out's clock started (ms): at the request, or at the admission if later. */
function startClock(input: StartInput): number | undefined {
  const requested = Date.parse(input.startRequestedAt ?? '');
  if (Number.isNaN(requested)) return undefined;
  const admitted = input.previous?.conditions?.find((c) => c.type === 'Admitted');
  const admittedAt =
    sameStart(input) && admitted?.status === 'True' ? Date.parse(admitted.lastTransitionTime) : NaN;
  return Number.isNaN(admittedAt) ? requested : Math.max(requested, admittedAt);
}

/** How long until a starting hub-started server times out (ms), if a clock runs. */
export function timeoutLeftMs(input: StartInput): number | undefined {
  if (input.startTimeoutMs === undefined || input.admission?.admit === false) return undefined;
  const from = startClock(input);
  return from === undefined ? undefined : from + input.startTimeoutMs - input.now.getTime();
}

/**
 * Per-start rules on top of what the pods show, for hub-started servers (see `heldEnded`):
 * ended stays ended; the first ready pod gone means the server stopped; too long means failed.
 */
function judgedStart(input: StatusInput, seen: PhaseAndMessage): PhaseAndMessage {
  const previous = input.previous;
  if (input.startRequestedAt === undefined || input.spec.stopped) return seen;
  if (heldEnded(input) && previous) {
    return {
      phase: previous.phase,
      reason: readyReasonOf(previous) ?? previous.phase,
      message: previous.message,
    };
  }
  const first = sameStart(input) ? previous?.readyPod : undefined;
  if (first !== undefined) {
    const pod = input.pods.find((p) => p.metadata?.uid === first);
    if (pod !== undefined && onLostNode(input, pod)) {
      return { phase: 'Stopped', reason: NODE_LOST_REASON, message: NODE_LOST_MESSAGE };
    }
    if (pod === undefined || isTerminating(pod) || pod.status?.phase === 'Failed') {
      return { phase: 'Stopped', reason: LOST_REASON, message: LOST_MESSAGE };
    }
    if (seen.phase !== 'Running' && seen.phase !== 'Failed') {
      return {
        phase: 'Running',
        reason: RESTARTING_REASON,
        message: 'The notebook server is restarting.',
      };
    }
  }
  if (seen.phase === 'Pending' || seen.phase === 'Starting') {
    // Starting on a node that is lost: it will not finish there, and nothing moves the pod
    // (the node controller evicts only after the `unreachable` toleration, 5 min by default,
    // and never when every node is silent), so the person would wait for the time-out. Ended
    // now, like a running server's loss; the next Start makes a new pod, which the scheduler
    // places on a node that answers.
    const placed = input.pods.filter((p) => !isTerminating(p));
    if (placed.length > 0 && placed.every((p) => onLostNode(input, p))) {
      return { phase: 'Stopped', reason: NODE_LOST_REASON, message: NODE_LOST_STARTING_MESSAGE };
    }
    const left = timeoutLeftMs(input);
    if (left !== undefined && left <= 0 && input.startTimeoutMs !== undefined) {
      return {
        phase: 'Failed',
        reason: TIMED_OUT_REASON,
        message: timedOutMessage(Math.round(input.startTimeoutMs / 1000)),
      };
    }
  }
  return seen;
}

export function computeStatus(input: StatusInput): NotebookStatus {
  const { previous, now, generation } = input;
  const pm = judgedStart(input, phaseOf(input));
  const readyPod = input.pods.find(
    (p) => !isTerminating(p) && !onLostNode(input, p) && isPodReady(p) && p.status?.podIP,
  );
  // The first ready pod of this start: kept while the start lasts, so its loss can be told.
  const firstReady =
    input.startRequestedAt === undefined || input.spec.stopped
      ? undefined
      : ((sameStart(input) ? previous?.readyPod : undefined) ??
        (pm.phase === 'Running' ? readyPod?.metadata?.uid : undefined));
  const serving =
    pm.phase === 'Running' && pm.reason !== RESTARTING_REASON
      ? input.pods.find(
          (p) =>
            !isTerminating(p) &&
            isPodReady(p) &&
            p.status?.podIP &&
            (firstReady === undefined || p.metadata?.uid === firstReady),
        )
      : undefined;
  const running = pm.phase === 'Running';
  const readyAt = running
    ? previous?.phase === 'Running'
      ? previous.readyAt
      : now.toISOString()
    : undefined;
  const conditions: NotebookCondition[] = [
    condition(
      previous,
      'Ready',
      running ? 'True' : 'False',
      pm.reason,
      pm.message,
      now,
      generation,
    ),
    input.applyError
      ? condition(
          previous,
          'Reconciled',
          'False',
          'ApplyFailed',
          input.applyError.message,
          now,
          generation,
        )
      : condition(
          previous,
          'Reconciled',
          'True',
          'Applied',
          'All objects are up to date.',
          now,
          generation,
        ),
    input.claimBound === undefined
      ? condition(
          previous,
          'StorageReady',
          'True',
          'ExistingClaim',
          'Uses an existing claim.',
          now,
          generation,
        )
      : condition(
          previous,
          'StorageReady',
          input.claimBound ? 'True' : 'False',
          input.claimBound ? 'Bound' : 'Pending',
          input.claimBound ? 'The home volume is bound.' : 'The home volume is not bound yet.',
          now,
          generation,
        ),
    ...(input.admission === undefined || input.spec.stopped
      ? []
      : [
          condition(
            previous,
            'Admitted',
            input.admission.admit ? 'True' : 'False',
            input.admission.admit ? ADMITTED_REASON : QUEUED_REASON,
            input.admission.admit ? 'The server may start.' : QUEUED_MESSAGE,
            now,
            generation,
          ),
        ]),
  ];
  return {
    phase: pm.phase,
    message: pm.message,
    url: input.url,
    ...(readyAt === undefined ? {} : { readyAt }),
    tokenSecretName: input.tokenSecretName,
    ...(serving?.status?.podIP === undefined
      ? {}
      : { readyAddress: `${serving.status.podIP}:${String(input.port)}` }),
    ...(firstReady === undefined ? {} : { readyPod: firstReady }),
    ...(input.startRequestedAt === undefined ? {} : { startRequestedAt: input.startRequestedAt }),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions,
  };
}

/** True when writing `next` would change nothing a reader can see. */
export function sameStatus(a: NotebookStatus | undefined, b: NotebookStatus): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(s: NotebookStatus | undefined): unknown {
  if (!s) return undefined;
  const conditions = [...(s.conditions ?? [])]
    .sort((x, y) => (x.type < y.type ? -1 : 1))
    .map((c) => ({ ...c, lastTransitionTime: Date.parse(c.lastTransitionTime) }));
  return {
    phase: s.phase,
    message: s.message,
    url: s.url,
    readyAt: s.readyAt === undefined ? undefined : Date.parse(s.readyAt),
    tokenSecretName: s.tokenSecretName,
    readyAddress: s.readyAddress,
    readyPod: s.readyPod,
    startRequestedAt: s.startRequestedAt,
    observedGeneration: s.observedGeneration,
    conditions: conditions.map((c) => [
      c.type,
      c.status,
      c.reason,
      c.message,
      c.lastTransitionTime,
      c.observedGeneration,
    ]),
  };
}
