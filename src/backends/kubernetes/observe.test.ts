import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOST_MESSAGE,
  LOST_REASON,
  PULLING_REASON,
  QUEUED_REASON,
  RESTARTING_REASON,
  WAITING_FOR_SERVER_REASON,
} from '../../kubernetes/operator/status.ts';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { K8S_MESSAGES, K8S_PROGRESS } from './messages.ts';
import { hubAnnotations } from './notebook-request.ts';
import { observe, type ObservedNotebook } from './observe.ts';

const startedAt = '2026-01-01T11:59:00.000Z';

function status(
  phase: NotebookStatus['phase'],
  reason: string,
  over: Partial<NotebookStatus> = {},
): NotebookStatus {
  return {
    phase,
    message: `operator says ${phase}/${reason}`,
    observedGeneration: 2,
    startRequestedAt: startedAt,
    conditions: [
      {
        type: 'Ready',
        status: phase === 'Running' ? 'True' : 'False',
        reason,
        message: '',
        lastTransitionTime: startedAt,
      },
    ],
    ...over,
  };
}

function notebook(
  over: {
    stopped?: boolean;
    status?: NotebookStatus;
    deleting?: boolean;
    generation?: number;
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
      },
      ...(over.deleting ? { deletionTimestamp: '2026-01-01T12:00:00Z' } : {}),
    },
    spec: { image: 'i', stopped: over.stopped ?? false },
    ...(over.status ? { status: over.status } : {}),
  };
}

const seen = (nb: ObservedNotebook, token: string | undefined = 'tok', queueAhead?: number) =>
  observe({ notebook: nb, token, queueAhead });

describe('observe (the operator owns runtime state; the hub only reads it)', () => {
  it('reports no resource as stopped, and one being deleted as stopping', () => {
    assert.deepEqual(observe({ notebook: undefined, token: undefined }).status, {
      phase: 'stopped',
    });
    assert.equal(seen(notebook({ deleting: true })).status.phase, 'stopping');
  });

  it('says "requested" until the operator reports on this very start', () => {
    const none = seen(notebook());
    assert.equal(none.status.phase, 'starting');
    assert.equal(none.progress?.message, K8S_MESSAGES.requested);
    const earlierSpec = seen(notebook({ generation: 3, status: status('Running', 'Running') }));
    assert.equal(earlierSpec.progress?.message, K8S_MESSAGES.requested);
    const earlierRequest = seen(
      notebook({
        status: status('Failed', 'ImageNotFound', { startRequestedAt: '2026-01-01T10:00:00Z' }),
      }),
    );
    assert.equal(
      earlierRequest.status.phase,
      'starting',
      "an earlier start's failure is not this one's",
    );
  });

  it('maps the operator reasons to the progress steps', () => {
    const steps: [NotebookStatus, number, string][] = [
      [status('Pending', QUEUED_REASON), K8S_PROGRESS.queued, K8S_MESSAGES.queued(2)],
      [status('Pending', 'WaitingForStorage'), K8S_PROGRESS.storage, K8S_MESSAGES.storage],
      [status('Pending', 'WaitingForMachine'), K8S_PROGRESS.machine, K8S_MESSAGES.machine],
      [
        status('Pending', 'Unschedulable'),
        K8S_PROGRESS.machine,
        'operator says Pending/Unschedulable',
      ],
      [status('Starting', 'Starting'), K8S_PROGRESS.starting, K8S_MESSAGES.starting],
      [status('Starting', PULLING_REASON), K8S_PROGRESS.downloading, K8S_MESSAGES.downloading],
      [status('Starting', WAITING_FOR_SERVER_REASON), K8S_PROGRESS.waiting, K8S_MESSAGES.waiting],
    ];
    for (const [s, progress, message] of steps) {
      const o = seen(notebook({ status: s }), 'tok', 2);
      assert.equal(o.status.phase, 'starting');
      assert.deepEqual([o.progress?.progress, o.progress?.message], [progress, message]);
    }
  });

  it('routes to the ready address with the token, and only then', () => {
    const ready = status('Running', 'Running', { readyAddress: '10.0.0.7:8888' });
    const o = seen(notebook({ status: ready }));
    assert.deepEqual(o.route, { target: 'http://10.0.0.7:8888', token: 'tok' });
    assert.equal(o.progress?.ready, true);
    assert.equal(o.status.profile, 'standard');
    assert.deepEqual(o.status.startedAt, new Date(startedAt));
    assert.equal(
      observe({ notebook: notebook({ status: ready }), token: undefined }).route,
      undefined,
      'no token yet',
    );
    const restarting = seen(
      notebook({ status: status('Running', RESTARTING_REASON, { readyAddress: undefined }) }),
    );
    assert.deepEqual([restarting.status.phase, restarting.route], ['running', undefined]);
  });

  it("tells a failure in the operator's words, with its reason as detail", () => {
    const o = seen(notebook({ status: status('Failed', 'TimedOut') }));
    assert.deepEqual(o.status, {
      phase: 'failed',
      message: 'operator says Failed/TimedOut',
      detail: 'TimedOut',
      profile: 'standard',
      startedAt: new Date(startedAt),
    });
    assert.equal(o.progress?.failed, true);
  });

  it('tells a lost server, and says nothing more of a plain stop', () => {
    const lost = seen(
      notebook({ status: status('Stopped', LOST_REASON, { message: LOST_MESSAGE }) }),
    );
    assert.deepEqual(lost.status, { phase: 'stopped', message: LOST_MESSAGE });
    const stopped = seen(notebook({ stopped: true, status: status('Stopped', 'Stopped') }));
    assert.deepEqual(stopped.status, { phase: 'stopped' });
    const stopping = seen(notebook({ stopped: true, status: status('Running', 'Running') }));
    assert.equal(stopping.status.phase, 'stopping', 'asked to stop: stopping until it has');
  });
});
