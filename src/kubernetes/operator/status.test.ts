import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notebookSpecSchema, type NotebookSpecInput } from '../../notebook-spec/schema.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import type { Pod } from '../plain.ts';
import { diagnose, type DiagnoseInput } from './diagnose.ts';
import {
  computeStatus,
  PULLING_MESSAGE,
  PULLING_REASON,
  sameStatus,
  type StatusInput,
} from './status.ts';

const t0 = new Date('2026-01-01T10:00:00.000Z');
const t1 = new Date('2026-01-01T10:00:05.123Z');

function spec(input: Partial<NotebookSpecInput> = {}) {
  return notebookSpecSchema.parse({ image: 'quay.io/jupyter/minimal-notebook:x', ...input });
}

function pod(options: {
  ready?: boolean;
  node?: string;
  waiting?: { reason: string; message?: string };
  terminated?: { exitCode: number; reason?: string; message?: string };
  lastTerminated?: { exitCode: number; reason?: string; message?: string };
  unschedulable?: string;
  deleting?: boolean;
}): Pod {
  return {
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'pod-uid',
      ...(options.deleting ? { deletionTimestamp: t0.toISOString() } : {}),
    },
    spec: { containers: [], ...(options.node ? { nodeName: options.node } : {}) },
    status: {
      conditions: [
        { type: 'Ready', status: options.ready ? 'True' : 'False' },
        ...(options.unschedulable
          ? [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message: options.unschedulable,
              },
            ]
          : []),
      ],
      containerStatuses: [
        {
          name: 'notebook',
          image: 'i',
          imageID: '',
          ready: options.ready ?? false,
          restartCount: options.lastTerminated ? 3 : 0,
          state: {
            ...(options.waiting ? { waiting: options.waiting } : {}),
            ...(options.terminated ? { terminated: options.terminated } : {}),
            ...(options.ready ? { running: {} } : {}),
          },
          ...(options.lastTerminated ? { lastState: { terminated: options.lastTerminated } } : {}),
        },
      ],
    },
  };
}

function input(overrides: Partial<StatusInput>): StatusInput {
  return {
    spec: spec(),
    generation: 2,
    previous: undefined,
    pods: [],
    diagnosis: undefined,
    claimBound: true,
    url: 'http://x/',
    tokenSecretName: 'x',
    now: t0,
    ...overrides,
  };
}

function diagMaybe(overrides: Partial<DiagnoseInput>) {
  return diagnose({
    spec: spec(),
    podEvents: [],
    claimExpected: true,
    claimEvents: [],
    ...overrides,
  });
}

function diag(overrides: Partial<DiagnoseInput>) {
  const d = diagMaybe(overrides);
  assert.ok(d, 'expected a diagnosis');
  return d;
}

describe('computeStatus', () => {
  it('walks Pending → Starting → Running, stamping readyAt once', () => {
    assert.equal(computeStatus(input({ pods: [] })).phase, 'Pending');
    assert.equal(
      computeStatus(input({ pods: [pod({})] })).message,
      'Waiting for a machine to run the notebook server.',
    );
    assert.equal(
      computeStatus(input({ pods: [], claimBound: false })).message,
      'Preparing storage for your files.',
    );
    assert.equal(computeStatus(input({ pods: [pod({ node: 'n' })] })).phase, 'Starting');
    const running = computeStatus(input({ pods: [pod({ node: 'n', ready: true })] }));
    assert.equal(running.phase, 'Running');
    assert.equal(running.readyAt, t0.toISOString());
    const later = computeStatus(
      input({ pods: [pod({ node: 'n', ready: true })], previous: running, now: t1 }),
    );
    assert.equal(later.readyAt, t0.toISOString(), 'readyAt keeps the first moment');
    assert.ok(sameStatus(running, later));
  });

  it('says "Downloading the environment" only while the kubelet pulls the image', () => {
    const pulling = computeStatus(input({ pods: [pod({ node: 'n' })], pullingImage: true }));
    assert.deepEqual([pulling.phase, pulling.message], ['Starting', PULLING_MESSAGE]);
    assert.equal(pulling.conditions?.find((c) => c.type === 'Ready')?.reason, PULLING_REASON);
    const pulled = computeStatus(input({ pods: [pod({ node: 'n' })], pullingImage: false }));
    assert.equal(pulled.message, 'The notebook server is starting.');
  });

  it('is Stopping while pods remain and Stopped after, and drops readyAt', () => {
    const stopped = spec({ stopped: true });
    assert.equal(
      computeStatus(input({ spec: stopped, pods: [pod({ node: 'n', deleting: true })] })).phase,
      'Stopping',
    );
    const s = computeStatus(input({ spec: stopped, pods: [] }));
    assert.equal(s.phase, 'Stopped');
    assert.equal(s.readyAt, undefined);
    assert.match(s.message, /files are kept/);
  });

  it('moves a condition time only when its status changes', () => {
    const first = computeStatus(input({ pods: [pod({ node: 'n' })] }));
    const second = computeStatus(input({ pods: [pod({ node: 'n' })], previous: first, now: t1 }));
    const ready = (s: NotebookStatus) => s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready(second)?.lastTransitionTime, t0.toISOString());
    const third = computeStatus(
      input({ pods: [pod({ node: 'n', ready: true })], previous: second, now: t1 }),
    );
    assert.equal(ready(third)?.lastTransitionTime, t1.toISOString());
    assert.equal(ready(third)?.observedGeneration, 2);
  });

  it('reports refused settings as Failed and transient apply errors only in a condition', () => {
    const refused = computeStatus(
      input({ applyError: { message: 'field is immutable', permanent: true } }),
    );
    assert.equal(refused.phase, 'Failed');
    assert.match(refused.message, /refused this notebook's settings: field is immutable/);
    const flaky = computeStatus(
      input({
        pods: [pod({ node: 'n', ready: true })],
        applyError: { message: 'timeout', permanent: false },
      }),
    );
    assert.equal(flaky.phase, 'Running');
    assert.equal(flaky.conditions?.find((c) => c.type === 'Reconciled')?.status, 'False');
  });

  it('uses the diagnosis for the phase: failed → Failed, waiting → Pending', () => {
    const failed = computeStatus(
      input({
        pods: [pod({ node: 'n' })],
        diagnosis: { severity: 'failed', reason: 'ImageUnavailable', message: 'm' },
      }),
    );
    assert.equal(failed.phase, 'Failed');
    assert.equal(failed.conditions?.find((c) => c.type === 'Ready')?.reason, 'ImageUnavailable');
    const waiting = computeStatus(
      input({
        pods: [pod({})],
        diagnosis: { severity: 'waiting', reason: 'InsufficientMemory', message: 'm' },
      }),
    );
    assert.equal(waiting.phase, 'Pending');
  });
});

describe('diagnose', () => {
  it('says in plain words that the image cannot be downloaded', () => {
    for (const reason of ['ErrImagePull', 'ImagePullBackOff']) {
      const d = diag({
        pod: pod({ node: 'n', waiting: { reason, message: 'rpc error: not found' } }),
      });
      assert.equal(d.severity, 'failed');
      assert.match(
        d.message,
        /The environment image "quay\.io\/jupyter\/minimal-notebook:x" could not be downloaded/,
      );
      assert.doesNotMatch(d.message, /ErrImagePull|ImagePullBackOff/);
      assert.match(d.detail ?? '', /not found/);
    }
    assert.match(
      diag({ pod: pod({ waiting: { reason: 'InvalidImageName' } }) }).message,
      /is not valid/,
    );
    const fromEvent = diag({
      pod: pod({ node: 'n' }),
      podEvents: [
        {
          reason: 'Failed',
          message: 'Failed to pull image "x": not found',
          involvedObject: {},
          metadata: {},
        },
      ],
    });
    assert.equal(fromEvent.reason, 'ImageUnavailable');
  });

  it('explains an unschedulable memory, cpu or gpu request', () => {
    const memory = diag({
      spec: spec({ resources: { memory: '1000Gi', gpu: 0 } }),
      pod: pod({ unschedulable: '0/1 nodes are available: 1 Insufficient memory.' }),
    });
    assert.equal(memory.severity, 'waiting');
    assert.match(memory.message, /No machine in the cluster has 1000Gi memory free/);
    assert.equal(memory.detail, '0/1 nodes are available: 1 Insufficient memory.');
    assert.equal(
      diag({ pod: pod({ unschedulable: '0/3 nodes are available: 3 Insufficient cpu.' }) }).reason,
      'InsufficientCPU',
    );
    assert.equal(
      diag({
        pod: pod({ unschedulable: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }),
      }).reason,
      'InsufficientGPU',
    );
    const fromEvent = diag({
      pod: pod({}),
      podEvents: [
        {
          reason: 'FailedScheduling',
          message: '1 Insufficient memory',
          involvedObject: {},
          metadata: {},
        },
      ],
    });
    assert.equal(fromEvent.reason, 'InsufficientMemory');
  });

  it('quotes the last log lines of a crashed server', () => {
    const log = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const d = diag({
      pod: pod({
        node: 'n',
        waiting: { reason: 'CrashLoopBackOff' },
        lastTerminated: { exitCode: 1, reason: 'Error', message: log },
      }),
    });
    assert.equal(d.reason, 'ServerCrashed');
    assert.match(
      d.message,
      /stopped unexpectedly \(exit code 1\)\. Its last log lines:\nline 20\n/,
    );
    assert.doesNotMatch(d.message, /line 19\n/);
    const fetched = diag({
      pod: pod({ node: 'n', terminated: { exitCode: 2 } }),
      logTail: 'Traceback: boom',
    });
    assert.match(fetched.message, /exit code 2\)\. Its last log lines:\nTraceback: boom/);
    const oom = diag({
      pod: pod({
        node: 'n',
        waiting: { reason: 'CrashLoopBackOff' },
        lastTerminated: { exitCode: 137, reason: 'OOMKilled' },
      }),
    });
    assert.equal(oom.reason, 'OutOfMemory');
    const limited = diag({
      spec: spec({ resources: { memory: '4Gi' } }),
      pod: pod({ node: 'n', terminated: { exitCode: 137, reason: 'OOMKilled' } }),
    });
    assert.equal(
      limited.message,
      'The notebook server ran out of memory (its limit is 4 GB) and was stopped. Choose a larger environment, or free memory by loading less data at once. Your files are kept.',
    );
  });

  it('reports storage that cannot be made or was lost', () => {
    const claimEvents = [
      {
        reason: 'ProvisioningFailed',
        message: 'storageclass "x" not found',
        involvedObject: {},
        metadata: {},
      },
    ];
    assert.equal(
      diag({ claim: { spec: {}, status: { phase: 'Pending' } }, claimEvents }).reason,
      'StorageUnavailable',
    );
    assert.equal(
      diagMaybe({ claim: { spec: {}, status: { phase: 'Bound' } }, claimEvents }),
      undefined,
    );
    assert.equal(diag({ claim: { spec: {}, status: { phase: 'Lost' } } }).severity, 'failed');
  });

  it('finds nothing wrong with a healthy starting pod', () => {
    assert.equal(diagMaybe({ pod: pod({ node: 'n' }) }), undefined);
  });
});
