import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, createBackoff, informerBackoff } from './backoff.ts';

const policy = { baseMs: 1000, capMs: 30_000, healthyAfterMs: 60_000 };

test('the delay doubles per attempt up to the cap', () => {
  const top = (n: number) => backoffDelay(policy, n, () => 0.999_999);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 50].map(top),
    [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000],
  );
});

test('jitter: between half the step and the step, never sooner', () => {
  assert.equal(
    backoffDelay(policy, 0, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(policy, 3, () => 0),
    4000,
  );
  assert.equal(
    backoffDelay(policy, 3, () => 0.5),
    6000,
  );
  assert.equal(
    backoffDelay(policy, 9, () => 0),
    15_000,
  );
  // Real randomness: within bounds, and not all the same.
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(policy, 4);
    assert.ok(d >= 8000 && d <= 16_000, String(d));
    seen.add(d);
  }
  assert.ok(seen.size > 10);
});

test('failures right after each restart keep stepping (no reset by the restart itself)', () => {
  const b = createBackoff(policy, () => 0.999_999);
  let now = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const d = b.next(now);
    delays.push(d);
    now += d + 50; // the restart fails 50 ms after it began
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});

test('a failure after the watch ran healthy for a while starts again at the base', () => {
  const b = createBackoff(policy, () => 0.999_999);
  assert.equal(b.next(0), 1000);
  assert.equal(b.next(1100), 2000);
  assert.equal(b.next(3200), 4000);
  // Restarted at 7200; fails 59 s later: same trouble, next step.
  assert.equal(b.next(7200 + 59_000), 8000);
  // Restarted at 74200; fails 60 s later: a new failure.
  assert.equal(b.next(74_200 + 60_000), 1000);
  assert.equal(b.attempt, 1);
});

test('the informers use a 1 s base, a 30 s cap', () => {
  assert.equal(informerBackoff.baseMs, 1000);
  assert.equal(informerBackoff.capMs, 30_000);
});
