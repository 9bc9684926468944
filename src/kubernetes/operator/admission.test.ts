import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import type { KubeObject, Pod } from '../plain.ts';
import { Admission, decide, type AdmissionView } from './admission.ts';
import { arrayCache, queuedStatus } from './testing.ts';
import type { Caches } from './informers.ts';

function view(key: string, over: Partial<AdmissionView> = {}): AdmissionView {
  return {
    key,
    wantsToRun: true,
    admitted: false,
    starting: false,
    queuedSince: undefined,
    ...over,
  };
}

describe('decide (start admission)', () => {
  it('admits while fewer than the limit are starting, first come first served', () => {
    const views = [
      view('a', { admitted: true, starting: true }),
      view('c', { queuedSince: 2 }),
      view('b', { queuedSince: 1 }),
      view('d', { queuedSince: 3 }),
    ];
    // One starting, limit 3: two turns free, for b then c (queue time), not d.
    assert.deepEqual(decide('b', views, 3), { admit: true });
    assert.deepEqual(decide('c', views, 3), { admit: true });
    assert.deepEqual(decide('d', views, 3), { admit: false, ahead: 2, prepare: true });
  });

  it('puts a newcomer without a queue time last, ties broken by key', () => {
    const views = [
      view('a', { admitted: true, starting: true }),
      view('z', { queuedSince: 5 }),
      view('m'),
      view('k'),
    ];
    assert.deepEqual(decide('k', views, 2), { admit: false, ahead: 1, prepare: true });
    assert.deepEqual(decide('m', views, 2), { admit: false, ahead: 2, prepare: true });
    assert.deepEqual(decide('z', views, 2), { admit: true });
  });

  it('never holds back one already admitted, one stopped, or anyone when the limit is 0', () => {
    const full = [view('a', { admitted: true, starting: true }), view('b', { admitted: true })];
    assert.deepEqual(decide('b', full, 1), { admit: true });
    assert.deepEqual(decide('s', [...full, view('s', { wantsToRun: false })], 1), { admit: true });
    assert.deepEqual(decide('n', [...full, view('n')], 0), { admit: true });
    assert.deepEqual(decide('n', [...full, view('n')], 1), {
      admit: false,
      ahead: 0,
      prepare: true,
    });
  });

  it('has a waiting server prepared only when at most two sets of turns are ahead of it', () => {
    // Limit 2, both turns taken: places 0-3 are within two sets of turns, 4 and later are not.
    const views = [
      view('a', { admitted: true, starting: true }),
      view('b', { admitted: true, starting: true }),
      ...[1, 2, 3, 4, 5, 6].map((t) => view(`q${String(t)}`, { queuedSince: t })),
    ];
    const prepared = [1, 2, 3, 4, 5, 6].map((t) => {
      const d = decide(`q${String(t)}`, views, 2);
      assert.equal(d.admit, false);
      return d.prepare;
    });
    assert.deepEqual(prepared, [true, true, true, true, false, false]);
    // One turn comes free (a is ready): q1 may start, and the window moves up by one.
    const later = views.map((v) => (v.key === 'a' ? { ...v, starting: false } : v));
    assert.deepEqual(decide('q1', later, 2), { admit: true });
    assert.deepEqual(decide('q5', later, 2), { admit: false, ahead: 4, prepare: true });
    assert.deepEqual(decide('q6', later, 2), { admit: false, ahead: 5, prepare: false });
  });

  it('counts only servers holding a turn: ready, failed or unplaceable ones do not', () => {
    const views = [
      view('ready', { admitted: true, starting: false }),
      view('failed', { admitted: true, starting: false }),
      view('n', { queuedSince: 1 }),
    ];
    assert.deepEqual(decide('n', views, 1), { admit: true });
  });
});

const cache = arrayCache;

function notebook(name: string, status?: NotebookStatus, stopped = false) {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, generation: 1 },
    spec: { stopped },
    ...(status ? { status } : {}),
  };
}

function pod(base: string, ready: boolean): Pod {
  return {
    metadata: { name: `${base}-pod`, namespace: 'ns', labels: { 'ganymede.dev/notebook': base } },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function setup(limit: number, spreadMs = 0) {
  const caches = {
    notebooks: cache<KubeObject>(),
    deployments: cache<KubeObject>(),
    pods: cache<Pod>(),
  } as unknown as Caches & {
    notebooks: { items: KubeObject[] };
    deployments: { items: KubeObject[] };
    pods: { items: Pod[] };
  };
  let now = Date.parse('2026-01-01T00:00:00Z');
  const admission = new Admission({ limit: () => limit, now: () => new Date(now), spreadMs });
  return {
    caches,
    admission,
    written: new Map<string, { uid: string; status: NotebookStatus }>(),
    advance: (ms: number) => (now += ms),
  };
}

describe('Admission (over the watch caches)', () => {
  it('admits up to the limit at once, even before the caches show the first admissions', () => {
    const { caches, admission, written } = setup(2);
    for (const n of ['a', 'b', 'c']) caches.notebooks.items.push(notebook(n));
    assert.equal(admission.decide('ns/a', caches, written).admit, true);
    assert.equal(admission.decide('ns/b', caches, written).admit, true);
    // Neither Deployment is in the cache yet: the operator's own record counts them.
    assert.deepEqual(admission.decide('ns/c', caches, written), {
      admit: false,
      ahead: 0,
      prepare: true,
    });
    assert.deepEqual(admission.waiting(), ['ns/c']);
  });

  it('frees a turn when a server becomes ready, and says so once', () => {
    const { caches, admission, written } = setup(1);
    for (const n of ['a', 'b']) caches.notebooks.items.push(notebook(n));
    admission.decide('ns/a', caches, written);
    assert.equal(admission.settle('ns/a', caches, written), false, 'a is starting');
    assert.equal(admission.decide('ns/b', caches, written).admit, false);
    caches.deployments.items.push({
      metadata: { name: 'a', namespace: 'ns' },
      spec: { replicas: 1 },
    } as KubeObject);
    caches.pods.items.push(pod('a', true));
    assert.equal(admission.settle('ns/a', caches, written), true, 'a gave up its turn');
    assert.equal(admission.settle('ns/a', caches, written), false, 'only once');
    assert.equal(admission.decide('ns/b', caches, written).admit, true);
    assert.deepEqual(admission.waiting(), []);
  });

  it('does not count a server that failed, cannot be placed, or has been starting too long', () => {
    const failed: NotebookStatus = { phase: 'Failed', message: 'x', observedGeneration: 1 };
    const unplaceable: NotebookStatus = {
      phase: 'Pending',
      message: 'no machine',
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'InsufficientMemory',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    const { caches, admission, written, advance } = setup(1);
    caches.notebooks.items.push(
      notebook('f', failed),
      notebook('u', unplaceable),
      notebook('s'),
      notebook('n'),
    );
    for (const n of ['f', 'u', 's']) {
      caches.deployments.items.push({
        metadata: { name: n, namespace: 'ns' },
        spec: { replicas: 1 },
      } as KubeObject);
    }
    // s is starting (admitted, not ready): n waits.
    assert.equal(admission.decide('ns/n', caches, written).admit, false);
    admission.decide('ns/s', caches, written); // records when s was admitted
    advance(11 * 60_000);
    assert.equal(admission.decide('ns/n', caches, written).admit, true, 's went stale');
  });

  it('keeps the queue order written in the Admitted condition (a new leader carries on)', () => {
    const { caches, admission, written } = setup(1);
    caches.notebooks.items.push(
      notebook('late', queuedStatus('2026-01-01T00:00:09Z')),
      notebook('early', queuedStatus('2026-01-01T00:00:01Z')),
    );
    assert.deepEqual(admission.decide('ns/late', caches, written), {
      admit: false,
      ahead: 1,
      prepare: true,
    });
    assert.deepEqual(admission.decide('ns/early', caches, written), { admit: true });
  });

  it('spreads turns out: one per spreadMs / limit, and says when to ask again', () => {
    const { caches, admission, written, advance } = setup(4, 4000);
    for (const n of ['a', 'b', 'c']) caches.notebooks.items.push(notebook(n));
    assert.deepEqual(admission.decide('ns/a', caches, written), { admit: true });
    // A turn is free for b, but the last one was handed out just now: 1 s apart.
    assert.deepEqual(admission.decide('ns/b', caches, written), {
      admit: false,
      ahead: 0,
      prepare: true,
      retryInMs: 1000,
    });
    assert.deepEqual(admission.decide('ns/c', caches, written), {
      admit: false,
      ahead: 1,
      prepare: true,
      retryInMs: 1000,
    });
    advance(1000);
    assert.deepEqual(admission.decide('ns/b', caches, written), { admit: true });
    // Already admitted: never held again, however soon it is asked.
    assert.deepEqual(admission.decide('ns/a', caches, written), { admit: true });
  });

  it('wakes the head of the queue when a turn comes free, not every waiting server', () => {
    const { caches, admission, written } = setup(1);
    // Queue times 1..20 s: q01 first. With limit 1, PREPARE_BATCHES 2: one turn, plus three
    // sets of one behind it, may change answer.
    const names = Array.from({ length: 20 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);
    for (const n of [...names].reverse()) {
      caches.notebooks.items.push(notebook(n, queuedStatus(`2026-01-01T00:00:${n.slice(1)}Z`)));
    }
    caches.notebooks.items.push(notebook('a'));
    for (const n of names) admission.decide(`ns/${n}`, caches, written);
    assert.equal(admission.waiting().length, 19, 'q01 took the turn');
    // q01 holds the turn (admitted): the head of who waits is q02...
    assert.deepEqual(admission.waitingHead(caches, written), ['ns/q02', 'ns/q03', 'ns/q04']);
  });

  it('forgets a server that stopped, so its next start queues again', () => {
    const { caches, admission, written } = setup(1);
    caches.notebooks.items.push(notebook('a'), notebook('b'));
    admission.decide('ns/a', caches, written);
    caches.notebooks.items[0] = notebook('a', undefined, true);
    admission.settle('ns/a', caches, written);
    assert.equal(admission.decide('ns/b', caches, written).admit, true, 'a no longer holds a turn');
    caches.notebooks.items[0] = notebook('a');
    assert.deepEqual(admission.decide('ns/a', caches, written), {
      admit: false,
      ahead: 0,
      prepare: true,
    });
  });
});
