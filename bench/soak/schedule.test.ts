import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faultSchedule, phases } from './schedule.ts';
import { seeded } from './random.ts';

describe('soak fault schedule', () => {
  it('takes turns after the warm-up, one every interval, none in the cool-down', () => {
    const s = faultSchedule({
      durationMs: 30 * 60_000,
      kinds: ['hub-kill', 'api-server-down', 'postgres-down'],
      everyMs: 4 * 60_000,
      ...phases(30 * 60_000),
    });
    assert.deepEqual(
      s.map((f) => [f.atMs / 60_000, f.kind]),
      [
        [3, 'hub-kill'],
        [7, 'api-server-down'],
        [11, 'postgres-down'],
        [15, 'hub-kill'],
        [19, 'api-server-down'],
        [23, 'postgres-down'],
      ],
    );
  });

  it('scales warm-up and cool-down down for short runs', () => {
    assert.deepEqual(phases(5 * 60_000), { warmUpMs: 60_000, coolDownMs: 60_000 });
    const s = faultSchedule({
      durationMs: 5 * 60_000,
      kinds: ['etcd-restart'],
      everyMs: 60_000,
      ...phases(5 * 60_000),
    });
    assert.deepEqual(
      s.map((f) => f.atMs / 60_000),
      [1, 2, 3, 4],
    );
  });

  it('is empty without kinds', () => {
    assert.deepEqual(
      faultSchedule({ durationMs: 60_000, kinds: [], everyMs: 1, warmUpMs: 0, coolDownMs: 0 }),
      [],
    );
  });
});

describe('seeded random', () => {
  it('repeats with the same seed and differs with another', () => {
    const a = seeded(7);
    const b = seeded(7);
    const c = seeded(8);
    const xs = [a.next(), a.next(), a.int(1, 6)];
    assert.deepEqual([b.next(), b.next(), b.int(1, 6)], xs);
    assert.notDeepEqual([c.next(), c.next(), c.int(1, 6)], xs);
    for (let i = 0; i < 1000; i++) {
      const v = a.int(2, 5);
      assert.ok(v >= 2 && v <= 5 && Number.isInteger(v));
    }
  });
});
