import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBackend } from '../backends/fake/fake-backend.ts';
import { parseConfig } from '../config/load.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createServerFinder } from './find-server.ts';
import { notebookHostLabel } from './notebook-host.ts';

async function setup() {
  const store = openSqliteStore(':memory:');
  const backend = createFakeBackend();
  const profile = parseConfig({}).profiles[0];
  assert.ok(profile);
  const alice = await store.createUser({ name: 'alice', admin: false, passwordHash: null });
  const root = await store.createUser({ name: 'root', admin: true, passwordHash: null });
  await store.createServer(
    { userId: alice.id, name: 'train', profile: 'x', createdAt: new Date() },
    3,
  );
  const run = (user: string, server: string) =>
    backend.start({ user, server }, { profile, baseUrl: `/user/${user}/` });
  // Reads are counted: a lookup must not read every server.
  let reads = 0;
  const counted = {
    listServersOf: (ids: readonly number[]) => {
      reads++;
      return store.listServersOf(ids);
    },
  };
  const finder = createServerFinder({ store: counted, backend });
  return {
    finder,
    run,
    reads: () => reads,
    alice: { user: 'alice', userId: alice.id, admin: false },
    root: { user: 'root', userId: root.id, admin: true },
  };
}

describe('finding the server of a notebook host', () => {
  it('finds the owner’s servers from their name and rows, without reading anyone else’s', async () => {
    const t = await setup();
    const label = (user: string, server: string) => notebookHostLabel({ user, server });
    assert.deepEqual(await t.finder.find(label('alice', ''), t.alice), {
      user: 'alice',
      server: '',
    });
    assert.equal(t.reads(), 0, 'the default server needs no query');
    assert.deepEqual(await t.finder.find(label('alice', 'train'), t.alice), {
      user: 'alice',
      server: 'train',
    });
    assert.equal(await t.finder.find(label('alice', 'nope'), t.alice), undefined);
    assert.equal(await t.finder.find(label('root', ''), t.alice), undefined, 'not hers');
  });

  it('finds other people’s live servers for admins only, through the backend’s index', async () => {
    const t = await setup();
    const label = notebookHostLabel({ user: 'alice', server: 'train' });
    assert.equal(await t.finder.find(label, t.root), undefined, 'not running: nothing to reach');
    await t.run('alice', 'train');
    assert.deepEqual(await t.finder.find(label, t.root), { user: 'alice', server: 'train' });
    assert.deepEqual(
      await t.finder.find(label, t.root),
      { user: 'alice', server: 'train' },
      'cached',
    );
    assert.equal(await t.finder.find(label, { ...t.root, admin: false }), undefined);
  });
});
