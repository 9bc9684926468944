import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../../kubernetes/plain.ts';
import { K8S_MESSAGES, K8S_PROGRESS } from './messages.ts';
import { PULLING_REASON } from '../../kubernetes/operator/status.ts';
import { hubAnnotations } from './notebook-request.ts';
import { observe, type ObservedNotebook, type ObserveInput } from './observe.ts';

const now = new Date('2026-01-01T12:00:00Z');
const startedAt = '2026-01-01T11:59:00.000Z';

function notebook(
  over: {
    stopped?: boolean;
    generation?: number;
    annotations?: Record<string, string>;
    status?: unknown;
    deleting?: boolean;
  } = {},
): ObservedNotebook {
  return {
    metadata: {
      generation: over.generation ?? 2,
      annotations: {
        [hubAnnotations.user]: 'alice',
        [hubAnnotations.server]: '',
        [hubAnnotations.profile]: 'standard',
        [hubAnnotations.startedAt]: startedAt,
        [hubAnnotations.readyPod]: '',
        [hubAnnotations.outcome]: '',
        ...over.annotations,
      },
      ...(over.deleting ? { deletionTimestamp: '2026-01-01T12:00:00Z' } : {}),
    },
    spec: { image: 'i', stopped: over.stopped ?? false },
    status: over.status,
  };
}

function pod(
  uid: string,
  over: { ready?: boolean; ip?: string; node?: string; running?: boolean; deleting?: boolean } = {},
): Pod {
  return {
    metadata: {
      uid,
      name: `p-${uid}`,
      ...(over.deleting ? { deletionTimestamp: '2026-01-01T12:00:00Z' } : {}),
    },
    spec: { containers: [], ...(over.node ? { nodeName: over.node } : {}) },
    status: {
      phase: 'Running',
      ...(over.ip ? { podIP: over.ip } : {}),
      conditions: [{ type: 'Ready', status: over.ready ? 'True' : 'False' }],
      containerStatuses: over.running
        ? [
            {
              name: 'notebook',
              image: 'i',
              imageID: '',
              ready: over.ready ?? false,
              restartCount: 0,
              state: { running: {} },
            },
          ]
        : [],
    },
  };
}

function input(over: Partial<ObserveInput>): ObserveInput {
  return {
    notebook: notebook(),
    pods: [],
    token: 'tok',
    now,
    startTimeoutMs: 300_000,
    ...over,
  };
}

describe('observe', () => {
  it('no resource: stopped, no route', () => {
    assert.deepEqual(observe(input({ notebook: undefined })), { status: { phase: 'stopped' } });
  });

  it('a ready pod with an IP and a token: running, routed, ready pod to be recorded', () => {
    const o = observe(input({ pods: [pod('u1', { ready: true, ip: '10.0.0.5', node: 'n' })] }));
    assert.equal(o.status.phase, 'running');
    assert.equal(o.status.profile, 'standard');
    assert.deepEqual(o.status.startedAt, new Date(startedAt));
    assert.deepEqual(o.route, { target: 'http://10.0.0.5:8888', token: 'tok' });
    assert.deepEqual(o.followUp, { kind: 'mark-ready', generation: 2, podUid: 'u1' });
    assert.equal(o.progress?.ready, true);
  });

  it('a ready pod but no token yet: still starting (the proxy could not open it)', () => {
    const o = observe(
      input({
        token: undefined,
        pods: [pod('u1', { ready: true, ip: '10.0.0.5', running: true })],
      }),
    );
    assert.equal(o.status.phase, 'starting');
    assert.equal(o.route, undefined);
  });

  it('the recorded ready pod gone: stopped, and the resource must be stopped', () => {
    const nb = notebook({ annotations: { [hubAnnotations.readyPod]: '2/u1' } });
    for (const pods of [
      [],
      [pod('u2', { ready: true, ip: '10.0.0.6' })],
      [pod('u1', { deleting: true })],
    ]) {
      const o = observe(input({ notebook: nb, pods }));
      assert.deepEqual(o.status, { phase: 'stopped', message: K8S_MESSAGES.gone });
      assert.equal(o.route, undefined);
      assert.deepEqual(o.followUp, {
        kind: 'stop',
        outcome: { phase: 'stopped', message: K8S_MESSAGES.gone },
      });
    }
  });

  it('a ready-pod record of an earlier start (older generation) is ignored', () => {
    const nb = notebook({ generation: 4, annotations: { [hubAnnotations.readyPod]: '2/u1' } });
    const o = observe(input({ notebook: nb, pods: [pod('u9', { node: 'n' })] }));
    assert.equal(o.status.phase, 'starting');
  });

  it('the recorded pod restarting in place: running, not routed', () => {
    const nb = notebook({ annotations: { [hubAnnotations.readyPod]: '2/u1' } });
    const o = observe(input({ notebook: nb, pods: [pod('u1', { ip: '10.0.0.5' })] }));
    assert.equal(o.status.phase, 'running');
    assert.equal(o.status.message, K8S_MESSAGES.restarting);
    assert.equal(o.route, undefined);
    assert.equal(o.followUp, undefined);
  });

  it('steps of a start, in order, from the operator status and the pod', () => {
    const status = (phase: string, reason: string, message = 'm', generation = 2) => ({
      phase,
      message,
      observedGeneration: generation,
      conditions: [
        { type: 'Ready', status: 'False', reason, message, lastTransitionTime: startedAt },
      ],
    });
    const steps = [
      observe(input({ notebook: notebook({ status: undefined }) })),
      observe(input({ notebook: notebook({ status: status('Stopped', 'Stopped', 'x', 1) }) })),
      observe(input({ notebook: notebook({ status: status('Pending', 'WaitingForStorage') }) })),
      observe(input({ notebook: notebook({ status: status('Pending', 'WaitingForMachine') }) })),
      observe(
        input({
          notebook: notebook({ status: status('Starting', 'Starting') }),
          pods: [pod('u1', { node: 'n' })],
        }),
      ),
      observe(
        input({
          notebook: notebook({ status: status('Starting', PULLING_REASON) }),
          pods: [pod('u1', { node: 'n' })],
        }),
      ),
      observe(
        input({
          notebook: notebook({ status: status('Starting', 'Starting') }),
          pods: [pod('u1', { node: 'n', running: true })],
        }),
      ),
    ].map((o) => [o.status.phase, o.progress?.progress, o.progress?.message]);
    assert.deepEqual(steps, [
      ['starting', K8S_PROGRESS.requested, K8S_MESSAGES.requested],
      ['starting', K8S_PROGRESS.requested, K8S_MESSAGES.requested],
      ['starting', K8S_PROGRESS.storage, K8S_MESSAGES.storage],
      ['starting', K8S_PROGRESS.machine, K8S_MESSAGES.machine],
      ['starting', K8S_PROGRESS.starting, K8S_MESSAGES.starting],
      ['starting', K8S_PROGRESS.downloading, K8S_MESSAGES.downloading],
      ['starting', K8S_PROGRESS.waiting, K8S_MESSAGES.waiting],
    ]);
  });

  it("a pending diagnosis passes the operator's plain words through", () => {
    const o = observe(
      input({
        notebook: notebook({
          status: {
            phase: 'Pending',
            message: 'No machine in the cluster has 16Gi memory free.',
            observedGeneration: 2,
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: 'InsufficientMemory',
                message: 'x',
                lastTransitionTime: startedAt,
              },
            ],
          },
        }),
      }),
    );
    assert.equal(o.progress?.message, 'No machine in the cluster has 16Gi memory free.');
  });

  it('operator Failed for this generation: failed with its message, and stop the resource', () => {
    const message = 'The environment image "x" could not be downloaded.';
    const nb = notebook({
      status: {
        phase: 'Failed',
        message,
        observedGeneration: 2,
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ImageUnavailable',
            message,
            lastTransitionTime: startedAt,
          },
        ],
      },
    });
    const o = observe(input({ notebook: nb }));
    assert.equal(o.status.phase, 'failed');
    assert.equal(o.status.message, message);
    assert.equal(o.progress?.failed, true);
    assert.deepEqual(o.followUp, {
      kind: 'stop',
      outcome: { phase: 'failed', message, detail: 'ImageUnavailable' },
    });
    // A Failed status of an earlier generation does not fail a new start.
    const older = observe(
      input({ notebook: { ...nb, metadata: { ...nb.metadata, generation: 3 } } }),
    );
    assert.equal(older.status.phase, 'starting');
  });

  it('past the start timeout: failed, with the time in the message', () => {
    const o = observe(input({ startTimeoutMs: 30_000 }));
    assert.equal(o.status.phase, 'failed');
    assert.equal(o.status.message, K8S_MESSAGES.timedOut(30));
    assert.equal(o.followUp?.kind, 'stop');
  });

  it('waiting for a turn: says how many are ahead, and the start clock does not run', () => {
    const queuedStatus = (admitted: 'True' | 'False', at: string) => ({
      phase: 'Pending',
      message: 'queued',
      observedGeneration: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: admitted === 'True' ? 'WaitingForMachine' : 'Queued',
          message: '',
          lastTransitionTime: at,
        },
        {
          type: 'Admitted',
          status: admitted,
          reason: admitted === 'True' ? 'Admitted' : 'Queued',
          message: '',
          lastTransitionTime: at,
        },
      ],
    });
    // Queued for a minute, start time-out 30 s: not failed, because the queue is not the
    // server's fault.
    const queued = observe(
      input({
        notebook: notebook({ status: queuedStatus('False', startedAt) }),
        startTimeoutMs: 30_000,
        queueAhead: 3,
      }),
    );
    assert.equal(queued.status.phase, 'starting');
    assert.deepEqual(queued.progress, {
      progress: K8S_PROGRESS.queued,
      message: K8S_MESSAGES.queued(3),
    });
    assert.equal(K8S_MESSAGES.queued(0), 'Many servers are starting right now; yours is next');
    // Admitted 10 s ago after a minute in the queue: the clock runs from the admission…
    const admitted = notebook({ status: queuedStatus('True', '2026-01-01T11:59:50.000Z') });
    assert.equal(
      observe(input({ notebook: admitted, startTimeoutMs: 30_000 })).status.phase,
      'starting',
    );
    // …and runs out 30 s after it.
    assert.equal(
      observe(
        input({
          notebook: admitted,
          startTimeoutMs: 30_000,
          now: new Date('2026-01-01T12:00:21Z'),
        }),
      ).status.phase,
      'failed',
    );
  });

  it('stopped: stopping while pods remain, then stopped (or failed, with the recorded outcome)', () => {
    const stopped = notebook({ stopped: true });
    assert.equal(observe(input({ notebook: stopped, pods: [pod('u1')] })).status.phase, 'stopping');
    assert.deepEqual(observe(input({ notebook: stopped })).status, { phase: 'stopped' });
    const failed = notebook({
      stopped: true,
      annotations: {
        [hubAnnotations.outcome]: JSON.stringify({ phase: 'failed', message: 'No image.' }),
      },
    });
    const o = observe(input({ notebook: failed }));
    assert.equal(o.status.phase, 'failed');
    assert.equal(o.status.message, 'No image.');
    assert.deepEqual(o.progress, { progress: 100, message: 'No image.', failed: true });
    const gone = notebook({
      stopped: true,
      annotations: {
        [hubAnnotations.outcome]: JSON.stringify({ phase: 'stopped', message: 'Gone.' }),
      },
    });
    assert.deepEqual(observe(input({ notebook: gone })).status, {
      phase: 'stopped',
      message: 'Gone.',
    });
    assert.equal(observe(input({ notebook: gone })).followUp, undefined);
  });

  it('a resource being deleted: stopping, never routed', () => {
    const o = observe(
      input({
        notebook: notebook({ deleting: true }),
        pods: [pod('u1', { ready: true, ip: '1.2.3.4' })],
      }),
    );
    assert.equal(o.status.phase, 'stopping');
    assert.equal(o.route, undefined);
  });
});
