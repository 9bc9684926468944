import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notebookSpecSchema, type NotebookSpecInput } from '../../notebook-spec/schema.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import type { Pod } from '../plain.ts';
import { diagnose, type DiagnoseInput } from './diagnose.ts';
import {
  computeStatus,
  heldEnded,
  LOST_MESSAGE,
  LOST_REASON,
  NODE_LOST_MESSAGE,
  NODE_LOST_REASON,
  NODE_LOST_STARTING_MESSAGE,
  isTerminal,
  timedOutMessage,
  timeoutLeftMs,
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
  uid?: string;
  ip?: string;
}): Pod {
  return {
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: options.uid ?? 'pod-uid',
      ...(options.deleting ? { deletionTimestamp: t0.toISOString() } : {}),
    },
    spec: { containers: [], ...(options.node ? { nodeName: options.node } : {}) },
    status: {
      ...(options.ip ? { podIP: options.ip } : {}),
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
    port: 8888,
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

describe('computeStatus: per-start rules for hub-started servers', () => {
  const requested = '2026-01-01T09:59:00.000Z';
  const hub = (overrides: Partial<StatusInput>) =>
    input({ startRequestedAt: requested, startTimeoutMs: 300_000, ...overrides });
  const readyPod = (uid: string, ip: string) => pod({ node: 'n', ready: true, uid, ip });

  it('records the ready address and the first ready pod of the start', () => {
    const running = computeStatus(hub({ pods: [readyPod('a', '10.0.0.5')] }));
    assert.equal(running.phase, 'Running');
    assert.equal(running.readyAddress, '10.0.0.5:8888');
    assert.equal(running.readyPod, 'a');
    assert.equal(running.startRequestedAt, requested);
  });

  it('reports the server stopped when its first ready pod goes, instead of routing to a new one', () => {
    const running = computeStatus(hub({ pods: [readyPod('a', '10.0.0.5')] }));
    const replaced = computeStatus(
      hub({ pods: [readyPod('b', '10.0.0.6')], previous: running, now: t1 }),
    );
    assert.equal(replaced.phase, 'Stopped');
    assert.equal(replaced.conditions?.find((c) => c.type === 'Ready')?.reason, LOST_REASON);
    assert.equal(replaced.message, LOST_MESSAGE);
    assert.equal(replaced.readyAddress, undefined, 'never routed to the replacement');
    const evicted = computeStatus(
      hub({
        pods: [{ ...readyPod('a', '10.0.0.5'), status: { phase: 'Failed' } }],
        previous: running,
      }),
    );
    assert.equal(evicted.phase, 'Stopped', 'an evicted pod (phase Failed) is gone too');
    assert.ok(heldEnded(hub({ previous: replaced })), 'held until the next request');
    assert.ok(
      !heldEnded(hub({ previous: replaced, startRequestedAt: '2026-01-01T11:00:00.000Z' })),
    );
    assert.ok(!heldEnded(hub({ previous: replaced, generation: 3 })), 'a new spec is a new start');
  });

  it('reports the server stopped when the node of its pod is lost, and holds that until the next start', () => {
    const running = computeStatus(hub({ pods: [readyPod('a', '10.0.0.5')] }));
    // The node controller marks a silent node's pods Ready=False, ContainersReady stays True.
    const marked = {
      ...readyPod('a', '10.0.0.5'),
      status: {
        phase: 'Running',
        podIP: '10.0.0.5',
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'ContainersReady', status: 'True' },
        ],
      },
    };
    const silent = computeStatus(hub({ pods: [marked], previous: running, now: t1 }));
    assert.equal(silent.phase, 'Running', 'a silent node keeps its servers for the wait');
    assert.equal(silent.readyAddress, '10.0.0.5:8888');
    const lost = computeStatus(
      hub({ pods: [marked], previous: silent, now: t1, podsOnLostNodes: new Set(['a']) }),
    );
    assert.equal(lost.phase, 'Stopped');
    assert.equal(lost.conditions?.find((c) => c.type === 'Ready')?.reason, NODE_LOST_REASON);
    assert.equal(lost.message, NODE_LOST_MESSAGE);
    assert.match(lost.message, /the machine running your notebook went away; your files are kept/);
    assert.equal(lost.readyAddress, undefined, 'no route to a pod on a lost node');
    assert.ok(isTerminal(lost));
    assert.ok(heldEnded(hub({ previous: lost })), 'no pod is placed behind the back of the person');
    const back = computeStatus(hub({ pods: [marked], previous: lost, now: t1 }));
    assert.equal(back.phase, 'Stopped', 'held even once the node is back');
    assert.ok(
      !heldEnded(hub({ previous: lost, startRequestedAt: '2026-01-01T11:00:00.000Z' })),
      'a new start places it again',
    );
  });

  it('ends a start whose pod sits on a lost node at once, held until the next start', () => {
    const starting = pod({ node: 'n', uid: 'b' });
    const before = computeStatus(hub({ pods: [starting] }));
    assert.equal(before.phase, 'Starting');
    const lost = computeStatus(
      hub({ pods: [starting], previous: before, podsOnLostNodes: new Set(['b']) }),
    );
    assert.equal(lost.phase, 'Stopped');
    assert.equal(lost.conditions?.find((c) => c.type === 'Ready')?.reason, NODE_LOST_REASON);
    assert.equal(lost.message, NODE_LOST_STARTING_MESSAGE);
    assert.ok(
      heldEnded(hub({ previous: lost })),
      'no pod placed again behind the back of the person',
    );
    // A second pod on a node that answers (a rolling replacement) keeps the start going.
    const elsewhere = computeStatus(
      hub({
        pods: [starting, pod({ node: 'm', uid: 'c' })],
        previous: before,
        podsOnLostNodes: new Set(['b']),
      }),
    );
    assert.equal(elsewhere.phase, 'Starting');
    // Not a hub-started server (no start request): no per-start judgement.
    const handMade = computeStatus(input({ pods: [starting], podsOnLostNodes: new Set(['b']) }));
    assert.notEqual(handMade.phase, 'Stopped');
  });

  it('says restarting (no address) while the same pod is not ready, e.g. after a container restart', () => {
    const running = computeStatus(hub({ pods: [readyPod('a', '10.0.0.5')] }));
    const restarting = computeStatus(
      hub({ pods: [pod({ node: 'n', uid: 'a', ip: '10.0.0.5' })], previous: running }),
    );
    assert.equal(restarting.phase, 'Running');
    assert.equal(restarting.readyAddress, undefined);
    assert.equal(restarting.readyPod, 'a');
  });

  it('keeps the route of a pod whose node is not heard from (Ready False, ContainersReady True)', () => {
    // What the node lifecycle controller writes after an API server outage longer than the
    // node grace period: Ready False, the kubelet's ContainersReady left as it was.
    const running = computeStatus(hub({ pods: [readyPod('a', '10.0.0.5')] }));
    const unheard = readyPod('a', '10.0.0.5');
    const conditions = [
      { type: 'Ready', status: 'False' },
      { type: 'ContainersReady', status: 'True' },
    ];
    const marked = { ...unheard, status: { ...unheard.status, conditions } };
    const held = computeStatus(hub({ pods: [marked], previous: running, now: t1 }));
    assert.equal(held.phase, 'Running');
    assert.equal(held.readyAddress, '10.0.0.5:8888');
    assert.deepEqual(
      held.conditions?.find((c) => c.type === 'Ready'),
      running.conditions?.find((c) => c.type === 'Ready'),
      'no new state written',
    );
    // The kubelet's own "not ready" sets both: that is a restart.
    const both = [
      { type: 'Ready', status: 'False' },
      { type: 'ContainersReady', status: 'False' },
    ];
    const restarting = computeStatus(
      hub({
        pods: [{ ...unheard, status: { ...unheard.status, conditions: both } }],
        previous: running,
      }),
    );
    assert.equal(restarting.readyAddress, undefined);
    // A readiness gate not passed is not this case either.
    const gated = {
      ...marked,
      spec: { ...marked.spec, containers: [], readinessGates: [{ conditionType: 'x' }] },
    };
    assert.equal(computeStatus(hub({ pods: [gated], previous: running })).readyAddress, undefined);
  });

  it('fails a start that is not ready in time, counting from the later of request and admission', () => {
    const starting = hub({ pods: [pod({ node: 'n' })], now: new Date('2026-01-01T10:03:59.000Z') });
    assert.equal(computeStatus(starting).phase, 'Starting');
    assert.equal(timeoutLeftMs(starting), 1000);
    const late = computeStatus({ ...starting, now: new Date('2026-01-01T10:04:00.000Z') });
    assert.equal(late.phase, 'Failed');
    assert.equal(late.message, timedOutMessage(300));
    const admittedLater = {
      ...starting,
      admission: { admit: true },
      now: new Date('2026-01-01T10:04:30.000Z'),
      previous: {
        phase: 'Starting' as const,
        message: '',
        observedGeneration: 2,
        startRequestedAt: requested,
        conditions: [
          {
            type: 'Admitted' as const,
            status: 'True' as const,
            reason: 'Admitted',
            message: '',
            lastTransitionTime: '2026-01-01T10:00:00.000Z',
          },
        ],
      },
    };
    assert.equal(computeStatus(admittedLater).phase, 'Starting', 'the clock starts at admission');
    assert.equal(timeoutLeftMs({ ...starting, admission: { admit: false } }), undefined, 'queued');
  });

  it('keeps a failure until the next request, with its message', () => {
    const failed = computeStatus(
      hub({
        pods: [pod({ node: 'n', waiting: { reason: 'ImagePullBackOff', message: 'not found' } })],
        diagnosis: { severity: 'failed', reason: 'ImageNotFound', message: 'No such image.' },
      }),
    );
    assert.equal(failed.phase, 'Failed');
    const after = computeStatus(hub({ pods: [], previous: failed, now: t1 }));
    assert.deepEqual([after.phase, after.message], ['Failed', 'No such image.']);
  });

  it('leaves notebooks applied by hand to heal like any Deployment', () => {
    const running = computeStatus(input({ pods: [readyPod('a', '10.0.0.5')] }));
    assert.equal(running.readyPod, undefined);
    const replaced = computeStatus(input({ pods: [readyPod('b', '10.0.0.6')], previous: running }));
    assert.equal(replaced.phase, 'Running');
    assert.equal(replaced.readyAddress, '10.0.0.6:8888');
    const failed = { ...replaced, phase: 'Failed' as const };
    assert.ok(!heldEnded(input({ previous: failed })));
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

  it('waits through a passing CreateContainerError; ends the start on one that cannot pass', () => {
    const waitingWith = (reason: string, message: string) =>
      diagMaybe({ pod: pod({ node: 'n', waiting: { reason, message } }), claimExpected: false });
    assert.equal(
      waitingWith('CreateContainerError', 'context deadline exceeded'),
      undefined,
      'a busy node: the kubelet retries, the start waits',
    );
    assert.equal(
      waitingWith(
        'CreateContainerError',
        'failed to reserve container name "notebook_x": is reserved',
      ),
      undefined,
    );
    const missing = waitingWith(
      'CreateContainerError',
      'failed to generate spec: failed to stat "/data": no such file or directory',
    );
    assert.equal(missing?.reason, 'ServerCannotStart');
    assert.equal(missing.severity, 'failed');
    assert.equal(
      waitingWith('RunContainerError', 'exec: "jupyter": executable file not found in $PATH')
        ?.reason,
      'ServerCannotStart',
    );
    assert.equal(waitingWith('StartError', 'anything')?.reason, 'ServerCannotStart');
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

  it("explains a profile's node selector or taints that no machine satisfies", () => {
    for (const text of [
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
      '0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}.',
    ]) {
      const d = diag({ pod: pod({ unschedulable: text }) });
      assert.equal(d.reason, 'NoMatchingMachine', text);
      assert.match(d.message, /runs only on particular machines/);
      assert.equal(d.detail, text);
    }
    // A storage conflict that mentions node affinity is still about storage.
    assert.equal(
      diag({
        pod: pod({
          unschedulable: '0/1 nodes are available: 1 node(s) had volume node affinity conflict.',
        }),
      }).reason,
      'StorageUnavailable',
    );
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
