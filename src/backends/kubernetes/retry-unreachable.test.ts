import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError } from '../../kubernetes/client/kube-api.ts';
import { ClusterUnreachableError, retryWhileUnreachable } from './retry-unreachable.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A clock that only moves when the retry sleeps. */
function fakeTime() {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    slept,
    sleep: (ms: number) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

test('retries while the cluster does not answer, then returns the answer', async () => {
  const time = fakeTime();
  let calls = 0;
  const told: number[] = [];
  const value = await retryWhileUnreachable(
    () => {
      calls++;
      return calls < 4 ? Promise.reject(refused()) : Promise.resolve('applied');
    },
    {
      signal: new AbortController().signal,
      deadline: 60_000,
      onUnreachable: (_e, n) => told.push(n),
      now: time.now,
      sleep: time.sleep,
      random: () => 0.999_999,
    },
  );
  assert.equal(value, 'applied');
  assert.deepEqual(told, [1, 2, 3]);
  // 1 s doubling, capped at 5 s: a person is waiting.
  assert.deepEqual(time.slept, [1000, 2000, 4000]);
});

test('the delay stays at the cap however long the outage', async () => {
  const time = fakeTime();
  let calls = 0;
  await retryWhileUnreachable(
    () => (++calls < 10 ? Promise.reject(refused()) : Promise.resolve()),
    {
      signal: new AbortController().signal,
      deadline: 600_000,
      onUnreachable: () => undefined,
      now: time.now,
      sleep: time.sleep,
      random: () => 0.999_999,
    },
  );
  assert.deepEqual(time.slept.slice(-4), [5000, 5000, 5000, 5000]);
});

test('a refusal ends it at once, with its own error', async () => {
  const time = fakeTime();
  const forbidden = new KubeApiError(403, 'Forbidden', 'no');
  await assert.rejects(
    retryWhileUnreachable(() => Promise.reject(forbidden), {
      signal: new AbortController().signal,
      deadline: 60_000,
      onUnreachable: () => assert.fail('not unreachable'),
      now: time.now,
      sleep: time.sleep,
    }),
    (e) => e === forbidden,
  );
  assert.deepEqual(time.slept, []);
});

test('gives up at the deadline with ClusterUnreachableError, the last error as cause', async () => {
  const time = fakeTime();
  let calls = 0;
  await assert.rejects(
    retryWhileUnreachable(
      () => {
        calls++;
        return Promise.reject(refused());
      },
      {
        signal: new AbortController().signal,
        deadline: 10_000,
        onUnreachable: () => undefined,
        now: time.now,
        sleep: time.sleep,
        random: () => 0.999_999,
      },
    ),
    (e) =>
      e instanceof ClusterUnreachableError &&
      (e.cause as { code?: string }).code === 'ECONNREFUSED',
  );
  // 1 + 2 + 4 s slept; the next 5 s would pass the deadline: no attempt after it.
  assert.deepEqual(time.slept, [1000, 2000, 4000]);
  assert.equal(calls, 4);
});

test('a cancelled start stops retrying', async () => {
  const abort = new AbortController();
  let calls = 0;
  await assert.rejects(
    retryWhileUnreachable(
      () => {
        calls++;
        return Promise.reject(refused());
      },
      {
        signal: abort.signal,
        deadline: Number.POSITIVE_INFINITY,
        onUnreachable: () => {
          abort.abort('stopped');
        },
      },
    ),
    ClusterUnreachableError,
  );
  assert.equal(calls, 1);
});

test('the real sleep wakes early when the start is cancelled', async () => {
  const abort = new AbortController();
  const began = Date.now();
  const retried = retryWhileUnreachable(() => Promise.reject(refused()), {
    signal: abort.signal,
    deadline: Number.POSITIVE_INFINITY,
    onUnreachable: () => undefined,
    policy: { baseMs: 60_000, capMs: 60_000, healthyAfterMs: Infinity },
  });
  setTimeout(() => {
    abort.abort('stopped');
  }, 50);
  await assert.rejects(retried, ClusterUnreachableError);
  assert.ok(Date.now() - began < 5000);
});
