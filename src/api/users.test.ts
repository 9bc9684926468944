import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setupApi } from './test-harness.ts';

const PAGINATED = { accept: 'application/jupyterhub-pagination+json' };
interface UserBody {
  name: string;
  admin?: boolean;
  servers?: Record<string, { ready: boolean }>;
}
interface Page {
  items: UserBody[];
  _pagination: { total: number; next: { url: string } | null };
}

describe('REST API: users', () => {
  it('lists users for an admin, plain and with the pagination protocol', async () => {
    const t = await setupApi({ pageDefaultLimit: 2 });
    const plain = (await t.documented(
      await t.api('GET', '/users', { token: t.tokens.admin }),
      'GET',
      '/users',
      200,
    )) as UserBody[];
    assert.deepEqual(
      plain.map((u) => u.name),
      ['alice', 'bob'],
      'one page of the default size',
    );

    let page = (await t.documented(
      await t.api('GET', '/users', { token: t.tokens.admin, headers: PAGINATED }),
      'GET',
      '/users',
      200,
    )) as Page;
    const names = page.items.map((u) => u.name);
    assert.equal(page._pagination.total, 3);
    while (page._pagination.next) {
      const next = new URL(page._pagination.next.url);
      page = (await t.documented(
        await t.api('GET', `/users${next.search}`, { token: t.tokens.admin, headers: PAGINATED }),
        'GET',
        '/users',
        200,
      )) as Page;
      names.push(...page.items.map((u) => u.name));
    }
    assert.deepEqual(names, ['alice', 'bob', 'root']);
  });

  it('filters by state: ready, active (also starting) and inactive', async () => {
    const t = await setupApi();
    await t.documented(
      await t.api('POST', '/users/alice/server', { token: t.tokens.alice }),
      'POST',
      '/users/{name}/server',
      201,
    );
    const names = async (state: string) =>
      (
        (await t.documented(
          await t.api('GET', `/users?state=${state}`, { token: t.tokens.admin }),
          'GET',
          '/users',
          200,
        )) as UserBody[]
      ).map((u) => u.name);
    assert.deepEqual(await names('ready'), ['alice']);
    assert.deepEqual(await names('active'), ['alice']);
    assert.deepEqual(await names('inactive'), ['bob', 'root']);

    const slow = await setupApi({ mode: 'never-starts' });
    const started = await slow.api('POST', '/users/bob/server', { token: slow.tokens.bob });
    await slow.documented(started, 'POST', '/users/{name}/server', 202);
    const list = async (state: string) =>
      (
        (await (
          await slow.api('GET', `/users?state=${state}`, { token: slow.tokens.admin })
        ).json()) as UserBody[]
      ).map((u) => u.name);
    assert.deepEqual(await list('active'), ['bob']);
    assert.deepEqual(await list('ready'), []);
  });

  it('filters by name prefix and state in the database, paging what matches', async () => {
    const t = await setupApi({ pageDefaultLimit: 2 });
    for (const name of ['alicia', 'alina', 'albert', 'zed']) {
      await t.auth.createUser(name, null, false);
    }
    for (const user of ['alina', 'albert', 'zed']) {
      await t.servers.start((await t.store.getUser(user))!, '');
    }
    await new Promise((r) => setImmediate(r));
    const page = async (query: string) =>
      (await t.documented(
        await t.api('GET', `/users?${query}`, { token: t.tokens.admin, headers: PAGINATED }),
        'GET',
        '/users',
        200,
      )) as Page;
    const first = await page('name_filter=al');
    assert.deepEqual(
      first.items.map((u) => u.name),
      ['albert', 'alice'],
    );
    assert.equal(first._pagination.total, 4, 'albert, alice, alicia, alina');
    assert.match(first._pagination.next?.url ?? '', /name_filter=al&.*offset=2/);
    const ready = await page('name_filter=al&state=ready');
    assert.deepEqual(
      ready.items.map((u) => u.name),
      ['albert', 'alina'],
    );
    assert.equal(ready._pagination.total, 2);
    assert.equal(ready._pagination.next, null);
    const inactive = await page('name_filter=ali&state=inactive');
    assert.deepEqual(
      inactive.items.map((u) => u.name),
      ['alice', 'alicia'],
    );
    // A filtered list:users and a state filter together: only what both allow.
    const narrow = await t.auth.createToken(t.users.admin.id, 'narrow', {
      scopes: ['list:users!user=alice', 'list:users!user=alina', 'read:users!user=alina'],
    });
    const both = (await (
      await t.api('GET', '/users?state=active', { token: narrow.token })
    ).json()) as UserBody[];
    assert.deepEqual(
      both.map((u) => u.name),
      ['alina'],
    );
    const none = (await (
      await t.api('GET', '/users?name_filter=bob', { token: narrow.token, headers: PAGINATED })
    ).json()) as Page;
    assert.deepEqual(none.items, []);
    assert.equal(none._pagination.total, 0);
  });

  it('refuses a bad state, offset or limit, naming the field', async () => {
    const t = await setupApi();
    for (const [query, field] of [
      ['state=sleeping', 'state'],
      ['offset=-1', 'offset'],
      ['limit=0', 'limit'],
      ['limit=ten', 'limit'],
    ] as const) {
      const body = (await t.documented(
        await t.api('GET', `/users?${query}`, { token: t.tokens.admin }),
        'GET',
        '/users',
        400,
      )) as { field: string };
      assert.equal(body.field, field, query);
    }
  });

  it('refuses to list users to a non-admin, and lists only the users a filtered scope names', async () => {
    const t = await setupApi();
    await t.documented(
      await t.api('GET', '/users', { token: t.tokens.alice }),
      'GET',
      '/users',
      403,
    );
    const narrow = await t.auth.createToken(t.users.admin.id, 'narrow', {
      scopes: ['list:users!user=alice', 'read:users!user=alice'],
    });
    const users = (await t.documented(
      await t.api('GET', '/users', { token: narrow.token }),
      'GET',
      '/users',
      200,
    )) as UserBody[];
    assert.deepEqual(
      users.map((u) => u.name),
      ['alice'],
    );
    assert.equal(users[0]?.servers, undefined, 'no read:servers, no servers field');
  });

  it('shows a user to themselves and to admins, and a stopped server only when asked', async () => {
    const t = await setupApi();
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    await t.api('DELETE', '/users/alice/server', { token: t.tokens.alice });
    const mine = (await t.documented(
      await t.api('GET', '/users/alice', { token: t.tokens.alice }),
      'GET',
      '/users/{name}',
      200,
    )) as UserBody;
    assert.equal(mine.name, 'alice');
    assert.deepEqual(mine.servers, {});
    const withStopped = (await t.documented(
      await t.api('GET', '/users/Alice?include_stopped_servers', { token: t.tokens.admin }),
      'GET',
      '/users/{name}',
      200,
    )) as UserBody;
    assert.equal(withStopped.servers?.['']?.ready, false);
  });

  it('answers a user outside the caller’s rights exactly like a missing one', async () => {
    const t = await setupApi();
    const other = await t.api('GET', '/users/bob', { token: t.tokens.alice });
    const missing = await t.api('GET', '/users/nobody', { token: t.tokens.alice });
    const invalid = await t.api('GET', '/users/..%2Fbob', { token: t.tokens.alice });
    const a = await t.documented(other, 'GET', '/users/{name}', 404);
    assert.deepEqual(a, await t.documented(missing, 'GET', '/users/{name}', 404));
    assert.deepEqual(a, await t.documented(invalid, 'GET', '/users/{name}', 404));
    for (const [method, path] of [
      ['DELETE', '/users/bob'],
      ['PATCH', '/users/bob'],
      ['POST', '/users/carol'],
    ] as const) {
      const res = await t.api(method, path, {
        token: t.tokens.alice,
        ...(method === 'PATCH' ? { body: { admin: true } } : {}),
      });
      assert.deepEqual(
        await t.documented(res, method, '/users/{name}', 404),
        a,
        `${method} ${path}`,
      );
    }
    assert.equal((await t.store.getUser('bob'))?.admin, false);
    assert.equal(await t.store.getUser('carol'), undefined);
  });

  it('creates users one at a time and in bulk, refusing duplicates and bad names', async () => {
    const t = await setupApi();
    const one = (await t.documented(
      await t.api('POST', '/users/Carol', { token: t.tokens.admin, body: { admin: true } }),
      'POST',
      '/users/{name}',
      201,
    )) as UserBody;
    assert.deepEqual([one.name, one.admin], ['carol', true]);
    await t.documented(
      await t.api('POST', '/users/carol', { token: t.tokens.admin }),
      'POST',
      '/users/{name}',
      409,
    );
    const bad = (await t.documented(
      await t.api('POST', '/users', {
        token: t.tokens.admin,
        body: { usernames: ['dave', 'a/b'] },
      }),
      'POST',
      '/users',
      400,
    )) as { field: string };
    assert.equal(bad.field, 'usernames.1');
    const many = (await t.documented(
      await t.api('POST', '/users', {
        token: t.tokens.admin,
        body: { usernames: ['dave', 'carol', 'erin'] },
      }),
      'POST',
      '/users',
      201,
    )) as UserBody[];
    assert.deepEqual(
      many.map((u) => u.name),
      ['dave', 'erin'],
      'existing ones are skipped',
    );
    await t.documented(
      await t.api('POST', '/users', { token: t.tokens.admin, body: { usernames: ['dave'] } }),
      'POST',
      '/users',
      409,
    );
    await t.documented(
      await t.api('POST', '/users', { token: t.tokens.alice, body: { usernames: ['mallory'] } }),
      'POST',
      '/users',
      403,
    );
    assert.equal(await t.store.getUser('mallory'), undefined);
  });

  it('makes a user an admin and back; the user’s existing token follows at once', async () => {
    const t = await setupApi();
    await t.documented(await t.api('GET', '/users', { token: t.tokens.bob }), 'GET', '/users', 403);
    const promoted = (await t.documented(
      await t.api('PATCH', '/users/bob', { token: t.tokens.admin, body: { admin: true } }),
      'PATCH',
      '/users/{name}',
      200,
    )) as UserBody;
    assert.equal(promoted.admin, true);
    await t.documented(await t.api('GET', '/users', { token: t.tokens.bob }), 'GET', '/users', 200);
    await t.api('PATCH', '/users/bob', { token: t.tokens.admin, body: { admin: false } });
    await t.documented(await t.api('GET', '/users', { token: t.tokens.bob }), 'GET', '/users', 403);
    await t.documented(
      await t.api('GET', '/users/alice', { token: t.tokens.bob }),
      'GET',
      '/users/{name}',
      404,
    );
    const rename = (await t.documented(
      await t.api('PATCH', '/users/bob', { token: t.tokens.admin, body: { name: 'robert' } }),
      'PATCH',
      '/users/{name}',
      400,
    )) as { field: string };
    assert.equal(rename.field, 'name');
    const empty = (await t.documented(
      await t.api('PATCH', '/users/bob', { token: t.tokens.admin, body: {} }),
      'PATCH',
      '/users/{name}',
      400,
    )) as { field: string };
    assert.equal(empty.field, 'body');
  });

  it('deletes a user after stopping their server, keeping files; never the caller', async () => {
    const t = await setupApi();
    await t.api('POST', '/users/bob/server', { token: t.tokens.bob });
    await t.documented(
      await t.api('DELETE', '/users/bob', { token: t.tokens.admin }),
      'DELETE',
      '/users/{name}',
      204,
    );
    assert.deepEqual(
      t.backend.calls.map((c) => `${c.op} ${c.ref.user}`),
      ['start bob', 'stop bob'],
      'stopped, never deleted (storage is kept)',
    );
    assert.equal(await t.store.getUser('bob'), undefined);
    await t.documented(await t.api('GET', '/user', { token: t.tokens.bob }), 'GET', '/user', 403);
    await t.documented(
      await t.api('DELETE', '/users/root', { token: t.tokens.admin }),
      'DELETE',
      '/users/{name}',
      400,
    );
  });
});
