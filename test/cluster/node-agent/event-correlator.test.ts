import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EventCorrelator,
  EventRecorder,
  type Correlation,
  type EventInput,
  type EventObject,
  type EventPatch,
  type EventSink,
  type WrittenEvent,
} from './event-correlator.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = t0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function input(message: string, extra: Partial<EventInput> = {}): EventInput {
  return {
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'ns',
      name: 'nb-0',
      uid: 'uid-1',
      fieldPath: 'spec.containers{notebook}',
    },
    source: { component: 'kubelet', host: 'node' },
    type: 'Warning',
    reason: 'Unhealthy',
    message,
    ...extra,
  };
}

const probe = 'Readiness probe failed: connect ECONNREFUSED 10.213.0.2:8888';

function written(c: Correlation): Extract<Correlation, { dropped: false }> {
  assert.equal(c.dropped, false);
  return c;
}

/** Correlates and, like EventRecorder, feeds the written state back. */
function record(correlator: EventCorrelator, e: EventInput): Correlation {
  const c = correlator.correlate(e);
  if (!c.dropped) {
    correlator.updateState(c.key, { name: c.event.metadata.name, count: c.event.count });
  }
  return c;
}

describe('EventCorrelator', () => {
  it('creates the first occurrence; identical repeats patch count 2, then 3', () => {
    const time = clock();
    const correlator = new EventCorrelator({ now: time.now });
    const first = written(record(correlator, input(probe)));
    assert.equal(first.patch, undefined);
    assert.equal(first.event.count, 1);
    assert.equal(first.event.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(first.event.lastTimestamp, '2026-01-01T00:00:00Z');
    assert.match(first.event.metadata.name, /^nb-0\.[0-9a-f]+$/);
    assert.equal(first.event.metadata.namespace, 'ns');
    assert.deepEqual(first.event.source, { component: 'kubelet', host: 'node' });

    time.advance(10_000);
    const second = written(record(correlator, input(probe)));
    assert.deepEqual(second.patch, {
      count: 2,
      lastTimestamp: '2026-01-01T00:00:10Z',
      message: probe,
    });
    assert.equal(second.event.metadata.name, first.event.metadata.name);
    assert.equal(second.event.firstTimestamp, '2026-01-01T00:00:00Z');

    time.advance(10_000);
    const third = written(record(correlator, input(probe)));
    assert.deepEqual(third.patch, {
      count: 3,
      lastTimestamp: '2026-01-01T00:00:20Z',
      message: probe,
    });
    assert.equal(third.event.metadata.name, first.event.metadata.name);
  });

  it('creates another Event for a different message, field, reason or pod', () => {
    const correlator = new EventCorrelator({ now: clock().now });
    const names = new Set<string>();
    for (const e of [
      input(probe),
      input('Readiness probe failed: HTTP probe failed with statuscode: 503'),
      input(probe, { reason: 'BackOff' }),
      input(probe, { type: 'Normal' }),
      input(probe, { involvedObject: { ...input('').involvedObject, fieldPath: undefined } }),
      input(probe, { involvedObject: { ...input('').involvedObject, uid: 'uid-2' } }),
    ]) {
      const c = written(record(correlator, e));
      assert.equal(c.patch, undefined);
      assert.equal(c.event.count, 1);
      names.add(c.event.metadata.name);
    }
    assert.equal(names.size, 6, 'each Event has a name of its own');
  });

  it('drops the 26th event about an object within the window, and allows one per 300 s', () => {
    const time = clock();
    const correlator = new EventCorrelator({ now: time.now });
    for (let i = 1; i <= 25; i++) {
      const c = written(record(correlator, input(probe)));
      assert.equal(c.event.count, i);
      time.advance(1000);
    }
    assert.deepEqual(record(correlator, input(probe)), { dropped: true });
    // The budget is per object and type, across reasons and messages.
    assert.deepEqual(record(correlator, input('other', { reason: 'BackOff' })), { dropped: true });
    // Another type, or another pod, has its own.
    written(record(correlator, input(probe, { type: 'Normal' })));
    written(
      record(
        correlator,
        input(probe, { involvedObject: { ...input('').involvedObject, uid: 'u2' } }),
      ),
    );

    // 25 s have passed since the first; one token takes 300 s from then.
    time.advance(300_000 - 25_000 - 1);
    assert.deepEqual(record(correlator, input(probe)), { dropped: true });
    time.advance(1);
    const allowed = written(record(correlator, input(probe)));
    // Dropped occurrences still count, as in client-go.
    assert.equal(allowed.patch?.count, 28);
    assert.deepEqual(record(correlator, input(probe)), { dropped: true });
    time.advance(300_000);
    assert.equal(written(record(correlator, input(probe))).patch?.count, 30);
  });

  it('aggregates the 10th distinct message of a reason within 10 minutes', () => {
    const time = clock();
    const correlator = new EventCorrelator({ now: time.now });
    for (let i = 1; i <= 9; i++) {
      const c = written(record(correlator, input(`failed ${i}`)));
      assert.equal(c.event.message, `failed ${i}`);
      time.advance(60_000);
    }
    const combined = written(record(correlator, input('failed 10')));
    assert.equal(combined.event.message, '(combined from similar events): failed 10');
    assert.equal(combined.patch, undefined);
    const again = written(record(correlator, input('failed 11')));
    assert.equal(again.event.metadata.name, combined.event.metadata.name);
    assert.deepEqual(again.patch, {
      count: 2,
      lastTimestamp: '2026-01-01T00:09:00Z',
      message: '(combined from similar events): failed 11',
    });
    // Quiet for more than 10 minutes: the group starts afresh.
    time.advance(600_001);
    assert.equal(written(record(correlator, input('failed 12'))).event.message, 'failed 12');
  });

  it('keeps its state bounded: the least recently used entries go first', () => {
    const time = clock();
    const correlator = new EventCorrelator({ now: time.now, cacheSize: 3 });
    const pod = (uid: string) =>
      input(probe, { involvedObject: { ...input('').involvedObject, uid } });
    const a = written(record(correlator, pod('a')));
    written(record(correlator, pod('b')));
    written(record(correlator, pod('c')));
    // Touch a, so b is the oldest when d arrives.
    assert.equal(written(record(correlator, pod('a'))).patch?.count, 2);
    written(record(correlator, pod('d')));
    assert.deepEqual(correlator.stateSize, { aggregates: 3, observations: 3, buckets: 3 });
    // b was forgotten: it is created again; a is still patched.
    assert.equal(written(record(correlator, pod('b'))).patch, undefined);
    const a3 = written(record(correlator, pod('a')));
    assert.equal(a3.event.metadata.name, a.event.metadata.name);
    assert.equal(a3.patch?.count, 3);

    const big = new EventCorrelator({ now: time.now });
    for (let i = 0; i < 5000; i++) big.correlate(pod(`p${i}`));
    assert.deepEqual(big.stateSize, { aggregates: 4096, observations: 4096, buckets: 4096 });
  });
});

class FakeSink implements EventSink {
  readonly events = new Map<string, EventObject>();
  readonly calls: string[] = [];
  #pending: (() => void)[] = [];
  hold = false;

  async #gate(): Promise<void> {
    if (this.hold) await new Promise<void>((resolve) => this.#pending.push(resolve));
  }

  release(): void {
    for (const resolve of this.#pending.splice(0)) resolve();
  }

  async create(event: EventObject): Promise<WrittenEvent> {
    this.calls.push(`create ${event.metadata.name} ${event.count}`);
    await this.#gate();
    this.events.set(event.metadata.name, event);
    return { name: event.metadata.name, count: event.count };
  }

  async patch(_ns: string, name: string, patch: EventPatch): Promise<WrittenEvent | undefined> {
    this.calls.push(`patch ${name} ${patch.count}`);
    await this.#gate();
    const existing = this.events.get(name);
    if (!existing) return undefined;
    this.events.set(name, { ...existing, ...patch });
    return { name, count: patch.count };
  }
}

describe('EventRecorder', () => {
  it('patches a repeat only after the create it follows, and recreates a vanished Event', async () => {
    const time = clock();
    const sink = new FakeSink();
    const recorder = new EventRecorder(sink, new EventCorrelator({ now: time.now }));
    sink.hold = true;
    const first = recorder.record(input(probe));
    time.advance(10_000);
    const second = recorder.record(input(probe));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sink.calls.length, 1, 'the patch waits for the create');
    sink.hold = false;
    sink.release();
    await Promise.all([first, second]);
    const [name] = [...sink.events.keys()];
    assert.ok(name);
    assert.deepEqual(sink.calls, [`create ${name} 1`, `patch ${name} 2`]);
    assert.equal(sink.events.get(name)?.count, 2);
    assert.equal(sink.events.get(name)?.lastTimestamp, '2026-01-01T00:00:10Z');

    // The API server's event TTL removed it: the next occurrence creates it again, same name.
    sink.events.clear();
    await recorder.record(input(probe));
    assert.deepEqual(sink.calls.slice(2), [`patch ${name} 3`, `create ${name} 3`]);
    assert.equal(sink.events.get(name)?.firstTimestamp, '2026-01-01T00:00:00Z');
  });

  it('rejects when the API call fails, and keeps going afterwards', async () => {
    const sink = new FakeSink();
    const recorder = new EventRecorder(sink, new EventCorrelator({ now: clock().now }));
    const create = sink.create.bind(sink);
    sink.create = () => Promise.reject(new Error('connect ECONNREFUSED'));
    await assert.rejects(recorder.record(input(probe)), /ECONNREFUSED/);
    sink.create = create;
    // The failed create left a count behind: the repeat patches, finds nothing, creates.
    await recorder.record(input(probe));
    assert.equal([...sink.events.values()][0]?.count, 2);
  });
});
