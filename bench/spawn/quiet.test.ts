import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idleFraction, parseProcStat } from './quiet.ts';

describe('quiet machine check', () => {
  it('reads /proc/stat and computes the idle share of a window', () => {
    const a = parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n');
    assert.deepEqual(a, { idle: 850, total: 1000 });
    const b = parseProcStat('cpu  190 0 60 880 70 0 0 0 0 0\n');
    // 200 jiffies passed, 100 of them idle or waiting for I/O.
    assert.equal(idleFraction(a, b), 0.5);
    assert.throws(() => parseProcStat('intr 1 2 3'), /no cpu line/);
  });
});
