/**
 * Pod status as the kubelet writes it (pkg/kubelet/kubelet_pods.go: getPhase,
 * generateAPIPodStatus; pkg/kubelet/status/generate.go for the conditions). Pure: the agent
 * keeps a view of its containers and this turns it into the `status` it patches.
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
 */
import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';

export interface TerminatedState {
  readonly exitCode: number;
  readonly signal?: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly containerID: string;
}

export type ContainerState =
  | { readonly kind: 'waiting'; readonly reason: string; readonly message?: string }
  | { readonly kind: 'running'; readonly startedAt: Date }
  | ({ readonly kind: 'terminated' } & TerminatedState);

export interface ContainerView {
  readonly name: string;
  readonly image: string;
  readonly state: ContainerState;
  readonly lastState?: TerminatedState;
  readonly ready: boolean;
  readonly started: boolean;
  readonly restartCount: number;
  readonly containerID?: string;
}

export interface PodView {
  readonly sandboxReady: boolean;
  readonly podIP?: string;
  readonly hostIP: string;
  readonly startTime: Date;
  readonly initContainers: readonly ContainerView[];
  readonly containers: readonly ContainerView[];
  /** Set once the pod is being torn down: no container will be restarted any more. */
  readonly terminating?: boolean;
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

const time = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

function succeeded(c: ContainerView): boolean {
  return c.state.kind === 'terminated' && c.state.exitCode === 0;
}

export function initFinished(view: PodView): boolean {
  return view.initContainers.every(succeeded);
}

export function computePhase(view: PodView, restartPolicy: string): Phase {
  const policy = view.terminating ? 'Never' : restartPolicy;
  if (!initFinished(view)) {
    const failed = view.initContainers.some(
      (c) => c.state.kind === 'terminated' && c.state.exitCode !== 0,
    );
    return failed && policy === 'Never' ? 'Failed' : 'Pending';
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let ok = 0;
  for (const c of view.containers) {
    if (c.state.kind === 'running') running++;
    else if (c.state.kind === 'terminated') {
      stopped++;
      if (c.state.exitCode === 0) ok++;
    } else if (c.lastState)
      stopped++; // Waiting to restart after a run: counts as stopped.
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === ok) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function stateJson(state: ContainerState): Record<string, unknown> {
  switch (state.kind) {
    case 'waiting':
      return {
        waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) },
      };
    case 'running':
      return { running: { startedAt: time(state.startedAt) } };
    case 'terminated':
      return { terminated: terminatedJson(state) };
  }
}

function terminatedJson(t: TerminatedState): Record<string, unknown> {
  return {
    exitCode: t.exitCode,
    ...(t.signal !== undefined ? { signal: t.signal } : {}),
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
    startedAt: time(t.startedAt),
    finishedAt: time(t.finishedAt),
    containerID: t.containerID,
  };
}

function containerStatusJson(c: ContainerView): Record<string, unknown> {
  return {
    name: c.name,
    image: c.image,
    imageID: c.containerID ? c.image : '',
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: stateJson(c.state),
    lastState: c.lastState ? { terminated: terminatedJson(c.lastState) } : {},
  };
}

export function buildPodStatus(pod: V1Pod, view: PodView, now: Date): Record<string, unknown> {
  const restartPolicy = pod.spec?.restartPolicy ?? 'Always';
  const phase = computePhase(view, restartPolicy);
  const previous = pod.status?.conditions ?? [];
  const condition = (
    type: string,
    ok: boolean,
    reason?: string,
    message?: string,
  ): Record<string, unknown> => {
    const status = ok ? 'True' : 'False';
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status,
      ...(!ok && reason ? { reason } : {}),
      ...(!ok && message ? { message } : {}),
      lastProbeTime: null,
      lastTransitionTime:
        before?.status === status && before.lastTransitionTime
          ? time(new Date(before.lastTransitionTime))
          : time(now),
    };
  };
  const initDone = initFinished(view);
  const incompleteInit = view.initContainers.filter((c) => !succeeded(c)).map((c) => c.name);
  // A pod that has finished (Succeeded) reports its containers not ready, reason PodCompleted.
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const unready = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = initDone && unready.length === 0 && !completed;
  const notReadyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = completed
    ? undefined
    : `containers with unready status: [${unready.join(' ')}]`;
  const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const gatesOk = gates.every((t) => previous.some((c) => c.type === t && c.status === 'True'));
  const ours = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);
  const conditions: (Record<string, unknown> | V1PodCondition)[] = [
    condition('PodReadyToStartContainers', view.sandboxReady),
    condition(
      'Initialized',
      initDone,
      completed ? 'PodCompleted' : 'ContainersNotInitialized',
      `containers with incomplete status: [${incompleteInit.join(' ')}]`,
    ),
    condition(
      'Ready',
      containersReady && gatesOk,
      containersReady ? 'ReadinessGatesNotReady' : notReadyReason,
      containersReady ? 'the status of pod readiness gate is not "True"' : notReadyMessage,
    ),
    condition('ContainersReady', containersReady, notReadyReason, notReadyMessage),
    // PodScheduled (set by the binding) and readiness gates belong to others: kept as they are.
    ...previous.filter((c) => !ours.has(c.type)),
  ];
  return {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    ...(view.podIP ? { podIP: view.podIP, podIPs: [{ ip: view.podIP }] } : {}),
    startTime: time(view.startTime),
    ...(view.initContainers.length > 0
      ? { initContainerStatuses: view.initContainers.map(containerStatusJson) }
      : {}),
    containerStatuses: view.containers.map(containerStatusJson),
  };
}
