import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue, type Timers } from './work-queue.ts';

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending: { at: number; fn: () => void; id: number }[] = [];
  let now = 0;
  let next = 0;
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const id = next++;
      pending.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      const i = pending.findIndex((p) => p.id === h);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return {
    timers,
    advance(ms: number) {
      now += ms;
      for (const p of pending.filter((x) => x.at <= now)) {
        pending.splice(pending.indexOf(p), 1);
        p.fn();
      }
    },
  };
}

describe('WorkQueue', () => {
  it('queues a key once and never hands it to two workers', async () => {
    const q = new WorkQueue(manualTimers().timers);
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    q.add('a'); // while processing: remembered, not queued
    assert.equal(await q.get(), 'b');
    assert.equal(q.length, 0);
    q.done('a'); // re-queued because it changed meanwhile
    assert.equal(await q.get(), 'a');
  });

  it('puts urgent keys first, also ones already queued or being processed', async () => {
    const q = new WorkQueue(manualTimers().timers);
    for (const k of ['a', 'b', 'c']) q.add(k);
    q.add('c', true);
    q.add('d', true);
    assert.equal(await q.get(), 'd');
    assert.equal(await q.get(), 'c');
    assert.equal(await q.get(), 'a');
    q.add('a', true); // while processing
    q.add('e');
    q.done('a');
    assert.equal(await q.get(), 'a', 're-queued at the front');
    assert.equal(await q.get(), 'b');
  });

  it('wakes a waiting worker', async () => {
    const q = new WorkQueue(manualTimers().timers);
    const next = q.get();
    q.add('x');
    assert.equal(await next, 'x');
  });

  it('backs off exponentially up to the maximum and resets after forget', async () => {
    const clock = manualTimers();
    const q = new WorkQueue(clock.timers, { baseMs: 100, maxMs: 1000 });
    const delays = [];
    for (let i = 0; i < 6; i++) {
      delays.push(q.addRateLimited('k'));
      clock.advance(1000);
      assert.equal(await q.get(), 'k');
      q.done('k');
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
    q.forget('k');
    assert.equal(q.addRateLimited('k'), 100);
    clock.advance(99);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
  });

  it('keeps the earlier of two delayed adds of one key (found on a real cluster: a 5-minute time-out look swallowed every change)', () => {
    const clock = manualTimers();
    const q = new WorkQueue(clock.timers);
    q.addAfter('k', 300_000);
    q.addAfter('k', 150);
    clock.advance(150);
    assert.equal(q.length, 1, 'the sooner look happens');
    q.addAfter('j', 100);
    q.addAfter('j', 5_000);
    clock.advance(100);
    assert.equal(q.length, 2, 'a later one does not push back an earlier one');
  });

  it('releases waiting workers on shutdown and cancels timers', async () => {
    const clock = manualTimers();
    const q = new WorkQueue(clock.timers);
    const waiting = q.get();
    q.addAfter('later', 10);
    q.shutdown();
    assert.equal(await waiting, undefined);
    clock.advance(100);
    assert.equal(q.length, 0);
  });
});
