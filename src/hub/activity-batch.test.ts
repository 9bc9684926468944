import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActivityRecord } from '../store/types.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { createActivityBatch } from './activity-batch.ts';

const ids: Record<string, number> = { ann: 1, bob: 2 };

test('reports within one interval are written together, the latest time per server', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const writes: ActivityRecord[][] = [];
  const batch = createActivityBatch({
    flushMs: 1000,
    userIdOf: (name) => Promise.resolve(ids[name]),
    write: (records) => {
      writes.push([...records]);
      return Promise.resolve();
    },
    onError: (e) => {
      throw e;
    },
  });
  batch.add('ann', '', new Date(5));
  batch.add('ann', '', new Date(3));
  batch.add('ann', 'lab', new Date(4));
  batch.add('bob', '', new Date(7));
  batch.add('gone', '', new Date(9)); // no such user any more: left out
  assert.equal(writes.length, 0, 'nothing before the interval');
  t.mock.timers.tick(1000);
  await batch.flush();
  assert.deepEqual(writes, [
    [
      { userId: 1, name: '', at: new Date(5) },
      { userId: 1, name: 'lab', at: new Date(4) },
      { userId: 2, name: '', at: new Date(7) },
    ],
  ]);
  batch.add('bob', '', new Date(8));
  await batch.flush();
  assert.deepEqual(writes[1], [{ userId: 2, name: '', at: new Date(8) }]);
  await batch.flush();
  assert.equal(writes.length, 2, 'an empty flush writes nothing');
});

test('a failed write is reported and the next batch is still written', async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const batch = createActivityBatch({
    flushMs: 60_000,
    userIdOf: (name) => Promise.resolve(ids[name]),
    write: () => (++calls === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve()),
    onError: (e) => errors.push(e),
  });
  batch.add('ann', '', new Date(1));
  await batch.flush();
  batch.add('ann', '', new Date(2));
  await batch.flush();
  assert.equal(calls, 2);
  assert.equal(errors.length, 1);
});

test('a batch the database could not take is kept (one entry per server) and written after', async () => {
  const writes: ActivityRecord[][] = [];
  const state = { down: true };
  const batch = createActivityBatch({
    flushMs: 60_000,
    userIdOf: (name) => Promise.resolve(ids[name]),
    write: (records) => {
      if (state.down) {
        return Promise.reject(new GanymedeError('unavailable', 'The database is not available.'));
      }
      writes.push([...records]);
      return Promise.resolve();
    },
    onError: () => undefined,
  });
  batch.add('ann', '', new Date(1));
  batch.add('bob', '', new Date(2));
  await batch.flush();
  batch.add('ann', '', new Date(3)); // later than the kept one: replaces it
  await batch.flush();
  state.down = false;
  await batch.flush();
  assert.deepEqual(writes, [
    [
      { userId: 1, name: '', at: new Date(3) },
      { userId: 2, name: '', at: new Date(2) },
    ],
  ]);
  await batch.flush();
  assert.equal(writes.length, 1, 'nothing left over');
});
