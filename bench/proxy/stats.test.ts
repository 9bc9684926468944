import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { median, parseWrk, percentile, wrkDurationMs } from './stats.ts';

describe('bench stats', () => {
  it('computes nearest-rank percentiles and medians', () => {
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    assert.equal(percentile([1, 2, 3, 4], 0.99), 4);
    assert.equal(median([5, 1, 3]), 3);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });

  it('reads wrk durations and output', () => {
    assert.equal(wrkDurationMs('812.00us'), 0.812);
    assert.equal(wrkDurationMs('1.5s'), 1500);
    const out = `Running 10s test @ http://127.0.0.1:1/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms  300.00us   9.00ms   90.00%
  Latency Distribution
     50%    2.00ms
     75%    2.20ms
     90%    2.50ms
     99%    4.10ms
  231000 requests in 10.00s, 40.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  23100.50
Transfer/sec:      4.00MB
`;
    assert.deepEqual(parseWrk(out), {
      requestsPerSecond: 23100.5,
      medianMs: 2,
      p99Ms: 4.1,
      requests: 231000,
      errors: 3,
    });
  });
});
