import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UserSpawnResult } from './measure.ts';
import { speedups, summarize, type Measurement, type SystemName } from './summary.ts';

function measurement(
  system: SystemName,
  round: number,
  results: readonly Partial<UserSpawnResult>[],
): Measurement {
  return {
    system,
    users: results.length,
    round,
    namespace: `ns-${system}-${String(round)}`,
    startedAt: '2026-01-01T00:00:00.000Z',
    loadBefore: [1, 1, 1],
    loadAfter: [1, 1, 1],
    wallMs: 0,
    results: results.map((r, i) => ({ user: `u${String(i)}`, ok: true, tooManyRequests: 0, ...r })),
  };
}

describe('summarize', () => {
  it('pools users over rounds, counts failures and 429s, and takes all-ready from clean rounds', () => {
    const [s] = summarize([
      measurement('jupyterhub', 1, [{ ms: 1000 }, { ms: 3000, tooManyRequests: 2 }]),
      measurement('jupyterhub', 2, [{ ms: 2000 }, { ok: false, error: 'timeout' }]),
    ]);
    assert.ok(s);
    assert.equal(s.samples, 3);
    assert.equal(s.failures, 1);
    assert.equal(s.tooManyRequests, 2);
    assert.equal(s.medianMs, 2000);
    assert.equal(s.maxMs, 3000);
    // Round 2 had a failure: only round 1 has an "all ready" time.
    assert.equal(s.medianAllReadyMs, 3000);
  });

  it('gives JupyterHub ÷ Ganymede as the speed-up', () => {
    const summaries = summarize([
      measurement('ganymede', 1, [{ ms: 1000 }, { ms: 2000 }]),
      measurement('jupyterhub', 1, [{ ms: 3000 }, { ms: 4000 }]),
    ]);
    assert.deepEqual(speedups(summaries), [{ users: 2, median: 3, p90: 2, allReady: 2 }]);
  });
});
