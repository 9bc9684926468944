/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
 * Fixtures are plain objects; client-node's model classes carry only static metadata. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { buildPodStatus, computePhase, type ContainerView, type PodView } from './pod-status.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:00:05Z');
const terminated = (exitCode: number) => ({
  exitCode,
  reason: exitCode === 0 ? 'Completed' : 'Error',
  startedAt: t0,
  finishedAt: t1,
  containerID: 'ganymede://x',
});

function c(state: ContainerView['state'], extra: Partial<ContainerView> = {}): ContainerView {
  return {
    name: 'c',
    image: 'img',
    state,
    ready: false,
    started: false,
    restartCount: 0,
    ...extra,
  };
}

function view(containers: ContainerView[], extra: Partial<PodView> = {}): PodView {
  return {
    sandboxReady: true,
    podIP: '10.213.0.2',
    hostIP: '10.213.0.1',
    startTime: t0,
    initContainers: [],
    containers,
    ...extra,
  };
}

describe('computePhase (the kubelet getPhase rules)', () => {
  const running = c({ kind: 'running', startedAt: t0 });
  const waiting = c({ kind: 'waiting', reason: 'ContainerCreating' });
  const exited0 = c({ kind: 'terminated', ...terminated(0) });
  const exited1 = c({ kind: 'terminated', ...terminated(1) });
  const backoff = c(
    { kind: 'waiting', reason: 'CrashLoopBackOff' },
    { lastState: terminated(1), restartCount: 1 },
  );
  const cases: [string, ContainerView[], string, string][] = [
    ['a container not started yet', [running, waiting], 'Always', 'Pending'],
    ['all running', [running], 'Always', 'Running'],
    ['restarting after a crash', [backoff], 'Always', 'Running'],
    ['all exited 0, Never', [exited0], 'Never', 'Succeeded'],
    ['one exited 1, Never', [exited0, exited1], 'Never', 'Failed'],
    ['exited 1, OnFailure (will restart)', [exited1], 'OnFailure', 'Running'],
    ['exited 0, Always (will restart)', [exited0], 'Always', 'Running'],
  ];
  for (const [name, containers, policy, phase] of cases) {
    it(`${name} → ${phase}`, () => {
      assert.equal(computePhase(view(containers), policy), phase);
    });
  }
  it('a failed init container with Never fails the pod; otherwise it stays Pending', () => {
    const init = [c({ kind: 'terminated', ...terminated(2) })];
    assert.equal(computePhase(view([waiting], { initContainers: init }), 'Never'), 'Failed');
    assert.equal(computePhase(view([waiting], { initContainers: init }), 'Always'), 'Pending');
  });
  it('once terminating, nothing restarts: exit codes decide', () => {
    assert.equal(computePhase(view([exited1], { terminating: true }), 'Always'), 'Failed');
  });
});

describe('buildPodStatus', () => {
  const pod: V1Pod = {
    spec: { containers: [{ name: 'c' }], restartPolicy: 'Always', readinessGates: [] },
    status: {
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t0 },
        { type: 'Ready', status: 'False', lastTransitionTime: t0 },
      ],
    },
  };

  it('writes the conditions, keeps PodScheduled, and moves lastTransitionTime only on change', () => {
    const ready = c(
      { kind: 'running', startedAt: t0 },
      { ready: true, started: true, containerID: 'ganymede://x' },
    );
    const status = buildPodStatus(pod, view([ready]), t1) as {
      conditions: { type: string; status: string; lastTransitionTime: string }[];
    };
    const byType = Object.fromEntries(status.conditions.map((x) => [x.type, x]));
    assert.deepEqual(Object.keys(byType).sort(), [
      'ContainersReady',
      'Initialized',
      'PodReadyToStartContainers',
      'PodScheduled',
      'Ready',
    ]);
    assert.deepEqual(
      [
        byType['Ready']?.status,
        byType['Ready']?.lastTransitionTime,
        byType['PodScheduled']?.status,
      ],
      ['True', '2026-01-01T00:00:05Z', 'True'],
    );
  });

  it('reports unready containers by name and the pod IP', () => {
    const status = buildPodStatus(
      pod,
      view([c({ kind: 'waiting', reason: 'ErrImagePull', message: 'no' })]),
      t1,
    );
    assert.deepEqual(status['podIPs'], [{ ip: '10.213.0.2' }]);
    const conditions = status['conditions'] as {
      type: string;
      message?: string;
      reason?: string;
    }[];
    const ready = conditions.find((x) => x.type === 'Ready');
    assert.deepEqual(
      { reason: ready?.reason, message: ready?.message },
      { reason: 'ContainersNotReady', message: 'containers with unready status: [c]' },
    );
    const cs = (status['containerStatuses'] as { state: unknown; imageID: string }[])[0];
    assert.deepEqual(
      { state: cs?.state, imageID: cs?.imageID },
      { state: { waiting: { reason: 'ErrImagePull', message: 'no' } }, imageID: '' },
    );
  });
});
