import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerRef } from '../backends/types.ts';
import { createActivityThrottle } from './activity-throttle.ts';

function setup(intervalMs = 60_000) {
  let clock = 1_000_000;
  const records: [ServerRef, number][] = [];
  const throttle = createActivityThrottle({
    intervalMs,
    now: () => clock,
    record: (ref, at) => records.push([ref, at.getTime()]),
  });
  return { throttle, records, advance: (ms: number) => (clock += ms) };
}

describe('createActivityThrottle', () => {
  it('records the first use at once, then at most once per interval per server', () => {
    const { throttle, records, advance } = setup();
    const alice = { user: 'alice', server: '' };
    throttle.touch(alice);
    for (let i = 0; i < 100; i++) {
      advance(500);
      throttle.touch(alice);
    }
    assert.equal(records.length, 1);
    advance(10_000); // 60 s after the first record
    throttle.touch(alice);
    assert.deepEqual(
      records.map(([, at]) => at),
      [1_000_000, 1_060_000],
    );
  });

  it('keeps servers apart', () => {
    const { throttle, records } = setup();
    throttle.touch({ user: 'alice', server: '' });
    throttle.touch({ user: 'bob', server: '' });
    throttle.touch({ user: 'alice', server: 'gpu' });
    throttle.touch({ user: 'alice', server: '' });
    assert.deepEqual(
      records.map(([ref]) => `${ref.user}/${ref.server}`),
      ['alice/', 'bob/', 'alice/gpu'],
    );
  });

  it('survives a throwing recorder and reports the error', () => {
    const errors: unknown[] = [];
    const throttle = createActivityThrottle({
      intervalMs: 1,
      now: () => 0,
      record: () => {
        throw new Error('store down');
      },
      onError: (e) => errors.push(e),
    });
    throttle.touch({ user: 'alice', server: '' });
    assert.equal(errors.length, 1);
  });

  it('forgets idle servers once it remembers very many', () => {
    const { throttle, records, advance } = setup(10);
    for (let i = 0; i < 10_000; i++) throttle.touch({ user: `u${i}`, server: '' });
    advance(10);
    throttle.touch({ user: 'new', server: '' }); // triggers the sweep
    throttle.touch({ user: 'u1', server: '' }); // swept, so recorded again
    assert.equal(records.length, 10_002);
  });
});
