import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBackend } from '../backends/fake/fake-backend.ts';
import { parseConfig } from '../config/load.ts';
import type { SpawnOutcome } from './hub-metrics.ts';
import { withSpawnTiming } from './timed-backend.ts';

const profile = parseConfig({}).profiles[0]!;
const ref = { user: 'alice', server: '' };

function timed(mode: 'ok' | 'fails', startError?: Error) {
  const inner = createFakeBackend({ mode });
  if (startError) inner.start = () => Promise.reject(startError);
  const observed: [string, SpawnOutcome, number][] = [];
  let clock = 1000;
  const backend = withSpawnTiming(
    inner,
    (...args) => observed.push(args),
    () => (clock += 2500),
  );
  return { inner, backend, observed };
}

describe('withSpawnTiming', () => {
  it('observes a successful spawn with its duration', async () => {
    const { backend, observed, inner } = timed('ok');
    const status = await backend.start(ref, { profile, baseUrl: '/user/alice/' });
    assert.equal(status.phase, 'running');
    assert.deepEqual(observed, [['standard', 'success', 2.5]]);
    // Everything else passes through.
    assert.deepEqual(backend.route(ref), inner.route(ref));
    await backend.stop(ref);
    assert.deepEqual(
      inner.calls.map((c) => c.op),
      ['start', 'stop'],
    );
  });

  it('observes a start that ends failed, or throws, as a failure', async () => {
    const failed = timed('fails');
    assert.equal((await failed.backend.start(ref, { profile, baseUrl: '/' })).phase, 'failed');
    assert.deepEqual(failed.observed, [['standard', 'failure', 2.5]]);

    const thrown = timed('ok', new Error('no image'));
    await assert.rejects(thrown.backend.start(ref, { profile, baseUrl: '/' }), /no image/);
    assert.deepEqual(thrown.observed, [['standard', 'failure', 2.5]]);
  });
});
