/**
 * What people see when many start at once (start admission with one turn, maxStarting 1): the
 * Kubernetes backend's progress tells the second and third person they are in line and how
 * many are ahead, the places move up as others start, and everyone gets a working server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKubernetesBackend } from '../../../src/backends/kubernetes/index.ts';
import { K8S_MESSAGES, K8S_PROGRESS } from '../../../src/backends/kubernetes/messages.ts';
import type { Backend, ProgressEvent, ServerRef } from '../../../src/backends/types.ts';
import { serverBaseUrl } from '../../../src/servers/server-service.ts';
import {
  START_TIMEOUT_MS,
  jupyterProfile,
  startOperatorCluster,
  type OperatorCluster,
} from './setup.ts';

let fixture: OperatorCluster;
let backend: Backend;

before(async () => {
  fixture = await startOperatorCluster('queue', { maxStarting: 1 });
  backend = await createKubernetesBackend({
    kubeConfig: fixture.cluster.kubeConfig,
    namespace: fixture.namespace,
    startTimeoutMs: START_TIMEOUT_MS,
  });
});
after(async () => {
  await backend.close();
  await fixture.stop();
});

async function collect(events: AsyncIterable<ProgressEvent>): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('many starts at once, one turn', () => {
  it('tells each person their place in line, moves them up, and starts everyone', async () => {
    const refs: ServerRef[] = ['ann', 'bob', 'cat'].map((user) => ({ user, server: '' }));
    const runs = refs.map(async (ref) => {
      const started = backend.start(ref, { profile: jupyterProfile, baseUrl: serverBaseUrl(ref) });
      const events = collect(backend.progress(ref));
      return { status: await started, events: await events };
    });
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.status.phase, 'running', JSON.stringify(r.status));
    const queueMessages = results.map((r) =>
      r.events.filter((e) => e.progress === K8S_PROGRESS.queued).map((e) => e.message),
    );
    // Two of the three waited; whoever waited longest was told "1 is ahead", then "next".
    const waited = queueMessages.filter((m) => m.length > 0);
    assert.equal(waited.length, 2, JSON.stringify(queueMessages));
    const all = waited.flat();
    assert.ok(all.includes(K8S_MESSAGES.queued(1)), JSON.stringify(queueMessages));
    assert.ok(all.includes(K8S_MESSAGES.queued(0)), JSON.stringify(queueMessages));
    const last = waited.find((m) => m.includes(K8S_MESSAGES.queued(1)));
    assert.deepEqual(
      last?.slice(last.indexOf(K8S_MESSAGES.queued(1))),
      [K8S_MESSAGES.queued(1), K8S_MESSAGES.queued(0)],
      'the place moves up',
    );
    for (const r of results) {
      assert.deepEqual(r.events.at(-1), {
        progress: 100,
        message: K8S_MESSAGES.ready,
        ready: true,
      });
      const percents = r.events.map((e) => e.progress);
      assert.deepEqual(
        percents,
        [...percents].sort((a, b) => a - b),
        'never goes back',
      );
    }
  });
});
