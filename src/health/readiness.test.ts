import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReadiness, toleratingOutage } from './readiness.ts';

describe('checkReadiness', () => {
  it('is ready when every check answers', async () => {
    const result = await checkReadiness(
      { store: () => Promise.resolve([1, 2]), backend: () => Promise.resolve([]) },
      { timeoutMs: 1000 },
    );
    assert.deepEqual(result, { ready: true, checks: { store: 'ok', backend: 'ok' } });
  });

  it('names the failed check and hands the error to the log only', async () => {
    const failures: [string, unknown][] = [];
    const result = await checkReadiness(
      {
        store: () => Promise.reject(new Error('connection refused')),
        backend: () => Promise.resolve([]),
      },
      { timeoutMs: 1000, onFailure: (name, e) => failures.push([name, e]) },
    );
    assert.deepEqual(result, { ready: false, checks: { store: 'failed', backend: 'ok' } });
    assert.equal(failures[0]?.[0], 'store');
    assert.doesNotMatch(JSON.stringify(result), /refused/);
  });

  it('fails a check that does not answer in time', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const pending = checkReadiness(
      { backend: () => new Promise(() => undefined) },
      { timeoutMs: 2000 },
    );
    t.mock.timers.tick(1999);
    await Promise.resolve();
    t.mock.timers.tick(1);
    assert.deepEqual(await pending, { ready: false, checks: { backend: 'failed' } });
  });

  it('a store outage is tolerated for a while after a success, never before one', async () => {
    let clock = 0;
    let up = false;
    const store = toleratingOutage(
      () => (up ? Promise.resolve() : Promise.reject(new Error('connection refused'))),
      { toleratedMs: 300_000, timeoutMs: 1000, now: () => clock },
    );
    const check = () => checkReadiness({ store }, { timeoutMs: 2000 });
    assert.deepEqual(await check(), { ready: false, checks: { store: 'failed' } }, 'never up');
    up = true;
    assert.deepEqual(await check(), { ready: true, checks: { store: 'ok' } });
    up = false;
    clock = 300_000;
    assert.deepEqual(await check(), { ready: true, checks: { store: 'degraded' } });
    clock = 300_001;
    assert.deepEqual(await check(), { ready: false, checks: { store: 'failed' } });
  });
});
