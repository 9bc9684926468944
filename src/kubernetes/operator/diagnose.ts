/**
 * Turns what Kubernetes says about a notebook's pod, its events and its volume claim into one
 * sentence a person who has never heard of Kubernetes can act on, plus the technical detail
 * for whoever runs the cluster. Pure: the observations are inputs.
 *
 * Reasons come from the kubelet's container states and the scheduler's conditions
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states,
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodStatus).
 */
import { memoryInWords } from '../../notebook-spec/memory-words.ts';
import type { NotebookSpec } from '../../notebook-spec/schema.ts';
import type { ContainerStatus, CoreEvent, PersistentVolumeClaim, Pod } from '../plain.ts';
import { CONTAINER_NAME } from '../resources/settings.ts';

export interface Diagnosis {
  /** Failed: nothing will change without a person; waiting: Kubernetes keeps trying. */
  readonly severity: 'failed' | 'waiting';
  readonly reason: string;
  readonly message: string;
  readonly detail?: string | undefined;
}

const MAX_LOG_CHARS = 2000;

function lastLines(text: string, lines = 10): string {
  const tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  return tail.length > MAX_LOG_CHARS ? tail.slice(-MAX_LOG_CHARS) : tail;
}

function imageProblem(spec: NotebookSpec, reason: string, detail: string | undefined): Diagnosis {
  if (reason === 'InvalidImageName') {
    return {
      severity: 'failed',
      reason: 'ImageInvalid',
      message: `The environment image name "${spec.image}" is not valid. Check how it is spelled.`,
      detail,
    };
  }
  return {
    severity: 'failed',
    reason: 'ImageUnavailable',
    message: `The environment image "${spec.image}" could not be downloaded. Check that its name and tag are right; if they are, ask your administrator whether the cluster can reach that registry.`,
    detail,
  };
}

function crashed(
  spec: NotebookSpec,
  status: ContainerStatus,
  logTail: string | undefined,
): Diagnosis {
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  if (terminated?.reason === 'OOMKilled') {
    const limit = spec.resources.memory;
    return {
      severity: 'failed',
      reason: 'OutOfMemory',
      message: `The notebook server ran out of memory${limit ? ` (its limit is ${memoryInWords(limit)})` : ''} and was stopped. Choose a larger environment, or free memory by loading less data at once. Your files are kept.`,
      detail: `OOMKilled, restarts: ${status.restartCount}`,
    };
  }
  const log = terminated?.message?.trim() ? terminated.message : logTail;
  const code = terminated?.exitCode;
  return {
    severity: 'failed',
    reason: 'ServerCrashed',
    message:
      `The notebook server stopped unexpectedly${code === undefined ? '' : ` (exit code ${code})`}.` +
      (log?.trim() ? ` Its last log lines:\n${lastLines(log)}` : ' It left no log lines.'),
    detail: `${terminated?.reason ?? 'terminated'}, restarts: ${status.restartCount}`,
  };
}

function unschedulable(spec: NotebookSpec, text: string): Diagnosis {
  const detail = text;
  if (/Insufficient memory/i.test(text)) {
    return {
      severity: 'waiting',
      reason: 'InsufficientMemory',
      message: `No machine in the cluster has ${spec.resources.memory ?? 'the'} memory free that this notebook asks for. Ask for less memory, or ask your administrator for more capacity; it will start by itself once there is room.`,
      detail,
    };
  }
  if (/Insufficient cpu/i.test(text)) {
    return {
      severity: 'waiting',
      reason: 'InsufficientCPU',
      message: `No machine in the cluster has ${spec.resources.cpu ?? 'the'} CPU cores free that this notebook asks for. Ask for fewer cores, or ask your administrator for more capacity; it will start by itself once there is room.`,
      detail,
    };
  }
  if (/Insufficient .*gpu/i.test(text)) {
    return {
      severity: 'waiting',
      reason: 'InsufficientGPU',
      message:
        'No machine in the cluster has a free GPU for this notebook. Try again later, or start it without a GPU.',
      detail,
    };
  }
  // The profile's nodeSelector, affinity or missing tolerations leave no machine: the
  // environment is meant for a kind of machine (a GPU pool) the cluster has none of free.
  if (/didn't match Pod's node affinity\/selector|untolerated taint/i.test(text)) {
    return {
      severity: 'waiting',
      reason: 'NoMatchingMachine',
      message:
        'This environment runs only on particular machines (for example GPU machines), and none of them can take it now. It will start by itself once one can; if it does not, ask your administrator.',
      detail,
    };
  }
  if (/persistentvolumeclaim|volume/i.test(text)) {
    return {
      severity: 'waiting',
      reason: 'StorageUnavailable',
      message:
        "The notebook's storage is not available yet, so no machine can start it. If this lasts, ask your administrator.",
      detail,
    };
  }
  return {
    severity: 'waiting',
    reason: 'Unschedulable',
    message:
      'No machine in the cluster can run this notebook right now. It will start by itself once one can; if it does not, ask your administrator.',
    detail,
  };
}

/** Container errors that retrying cannot fix: the image lacks the command, or the runtime
 * refuses its configuration. */
const permanentContainerError =
  /executable file not found|no such file or directory|permission denied|exec format error|invalid|not supported/i;

function cannotStart(detail: string): Diagnosis {
  return {
    severity: 'failed',
    reason: 'ServerCannotStart',
    message:
      'The notebook server could not be started from this environment image. Ask your administrator, and mention the detail below.',
    detail,
  };
}

export interface DiagnoseInput {
  readonly spec: NotebookSpec;
  /** The newest pod of the notebook that is not being deleted. */
  readonly pod?: Pod | undefined;
  /** Warning events about that pod, oldest first. */
  readonly podEvents: readonly CoreEvent[];
  /** The home claim, when Ganymede created one (undefined with an existing claim). */
  readonly claim?: PersistentVolumeClaim | undefined;
  readonly claimExpected: boolean;
  readonly claimEvents: readonly CoreEvent[];
  /** Log tail fetched for a crashed container, when its termination message was empty. */
  readonly logTail?: string | undefined;
}

/** The most important problem, or undefined when nothing is wrong (yet). */
export function diagnose(input: DiagnoseInput): Diagnosis | undefined {
  const { spec, pod } = input;
  const container = pod?.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
  const waiting = container?.state?.waiting;
  if (container && waiting?.reason) {
    const detail = `${waiting.reason}: ${waiting.message ?? ''}`.trim();
    switch (waiting.reason) {
      case 'ErrImagePull':
      case 'ImagePullBackOff':
      case 'InvalidImageName':
      case 'ErrImageNeverPull':
        return imageProblem(spec, waiting.reason, detail);
      case 'CrashLoopBackOff':
        return crashed(spec, container, input.logTail);
      case 'CreateContainerError':
        // The kubelet retries this one, and on a busy node it is often passing ("context
        // deadline exceeded", "failed to reserve container name"): the start waits, bounded
        // by the start time-out. Only a cause that cannot pass by itself ends the start.
        if (!permanentContainerError.test(waiting.message ?? '')) break;
        return cannotStart(detail);
      case 'RunContainerError':
      case 'StartError':
        return cannotStart(detail);
      default:
        break;
    }
  }
  if (container?.state?.terminated && container.state.terminated.exitCode !== 0) {
    return crashed(spec, container, input.logTail);
  }
  const pullEvent = input.podEvents.findLast((e) =>
    /Failed to pull image|ErrImagePull|ImagePullBackOff/i.test(
      `${e.reason ?? ''} ${e.message ?? ''}`,
    ),
  );
  if (pullEvent && !container?.ready) {
    return imageProblem(spec, 'ErrImagePull', pullEvent.message);
  }
  const scheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return unschedulable(spec, scheduled.message ?? '');
  }
  const schedulingEvent = input.podEvents.findLast((e) => e.reason === 'FailedScheduling');
  if (pod && !pod.spec?.nodeName && schedulingEvent) {
    return unschedulable(spec, schedulingEvent.message ?? '');
  }
  const mountEvent = input.podEvents.findLast(
    (e) => e.reason === 'FailedMount' || e.reason === 'FailedAttachVolume',
  );
  if (mountEvent && !container?.ready && !container?.state?.running) {
    return {
      severity: 'waiting',
      reason: 'StorageUnavailable',
      message:
        "The notebook's storage could not be attached to its machine yet. If this lasts more than a few minutes, ask your administrator.",
      detail: mountEvent.message,
    };
  }
  if (input.claimExpected) {
    const phase = input.claim?.status?.phase;
    if (phase === 'Lost') {
      return {
        severity: 'failed',
        reason: 'StorageLost',
        message:
          "The notebook's storage has been lost by the cluster. Ask your administrator before doing anything else.",
        detail: 'PersistentVolumeClaim phase Lost',
      };
    }
    const provisioning = input.claimEvents.findLast((e) => e.reason === 'ProvisioningFailed');
    if (phase !== 'Bound' && provisioning) {
      return {
        severity: 'waiting',
        reason: 'StorageUnavailable',
        message:
          'Storage for this notebook could not be created. Ask your administrator (the storage class may be wrong or full).',
        detail: provisioning.message,
      };
    }
  }
  return undefined;
}
