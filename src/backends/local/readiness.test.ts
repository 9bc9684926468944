import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import {
  DEFAULT_BACKOFF,
  nextDelay,
  probeJupyter,
  waitUntilReady,
  type Probe,
} from './readiness.ts';

/** A fake clock whose sleep advances time instantly: no test here waits for real. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}

const target = { port: 1, baseUrl: '/user/a/', token: 't'.repeat(20) };

describe('nextDelay', () => {
  it('grows by the factor up to the cap', () => {
    assert.equal(nextDelay(50), 75);
    assert.equal(nextDelay(900), DEFAULT_BACKOFF.maxMs);
    assert.equal(nextDelay(DEFAULT_BACKOFF.maxMs), DEFAULT_BACKOFF.maxMs);
  });
});

describe('waitUntilReady', () => {
  it('polls with backoff until the probe answers', async () => {
    const time = fakeTime();
    let calls = 0;
    const probe: Probe = () => Promise.resolve(++calls === 4);
    const outcome = await waitUntilReady({
      target,
      timeoutMs: 10_000,
      signal: new AbortController().signal,
      probe,
      now: time.now,
      sleep: time.sleep,
    });
    assert.equal(outcome, 'ready');
    assert.equal(calls, 4);
    assert.deepEqual(time.sleeps, [50, 75, 113]);
  });

  it('times out, never sleeping past the deadline', async () => {
    const time = fakeTime();
    const outcome = await waitUntilReady({
      target,
      timeoutMs: 3_000,
      signal: new AbortController().signal,
      probe: () => Promise.resolve(false),
      now: time.now,
      sleep: time.sleep,
    });
    assert.equal(outcome, 'timeout');
    assert.equal(time.now(), 3_000);
    assert.ok(time.sleeps.every((ms) => ms <= DEFAULT_BACKOFF.maxMs));
  });

  it('gives each probe at most the time left', async () => {
    const time = fakeTime();
    const timeouts: number[] = [];
    await waitUntilReady({
      target,
      timeoutMs: 1_500,
      probeTimeoutMs: 1_000,
      signal: new AbortController().signal,
      probe: (_t, timeoutMs) => {
        timeouts.push(timeoutMs);
        time.advance(timeoutMs);
        return Promise.resolve(false);
      },
      now: time.now,
      sleep: time.sleep,
    });
    assert.deepEqual(timeouts, [1_000, 450]);
  });

  it('stops at once when aborted, even if the probe then answers', async () => {
    const time = fakeTime();
    const abort = new AbortController();
    const outcome = await waitUntilReady({
      target,
      timeoutMs: 10_000,
      signal: abort.signal,
      probe: () => {
        abort.abort();
        return Promise.resolve(true);
      },
      now: time.now,
      sleep: time.sleep,
    });
    assert.equal(outcome, 'aborted');
  });
});

describe('probeJupyter', () => {
  it('is ready only on 200 for the status path with the token', async () => {
    const server = createServer((req, res) => {
      const ok =
        req.url === '/user/a/api/status' && req.headers.authorization === `token ${target.token}`;
      res.writeHead(ok ? 200 : 403).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    try {
      assert.equal(await probeJupyter({ ...target, port: address.port }, 1000), true);
      assert.equal(
        await probeJupyter({ ...target, port: address.port, token: 'wrong' }, 1000),
        false,
      );
      assert.equal(
        await probeJupyter({ ...target, port: address.port, baseUrl: '/' }, 1000),
        false,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Nobody listens any more: refused, not thrown.
    assert.equal(await probeJupyter({ ...target, port: address.port }, 1000), false);
  });
});
