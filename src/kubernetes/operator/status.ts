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
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
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

function phaseOf(input: StatusInput): PhaseAndMessage {
  const live = input.pods.filter((p) => !isTerminating(p));
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
  return { phase: 'Starting', reason: 'Starting', message: 'The notebook server is starting.' };
}

export function computeStatus(input: StatusInput): NotebookStatus {
  const { previous, now, generation } = input;
  const pm = phaseOf(input);
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
