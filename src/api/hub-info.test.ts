import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORIGIN, setupApi } from './test-harness.ts';

describe('REST API: version, info, activity, groups', () => {
  it('tells its version without credentials, with and without the trailing slash', async () => {
    const t = await setupApi();
    const body = (await t.documented(await t.api('GET', '/'), 'GET', '/', 200)) as {
      version: string;
    };
    assert.match(body.version, /^5\./);
    assert.equal((await t.app.request(`${ORIGIN}/hub/api`)).status, 200);
  });

  it('shows hub details to admins only', async () => {
    const t = await setupApi();
    const info = (await t.documented(
      await t.api('GET', '/info', { token: t.tokens.admin }),
      'GET',
      '/info',
      200,
    )) as {
      profiles: string[];
    };
    assert.deepEqual(info.profiles, ['standard']);
    await t.documented(await t.api('GET', '/info', { token: t.tokens.alice }), 'GET', '/info', 403);
  });

  it('records server activity forward only, refusing the far future and unknown servers', async () => {
    const t = await setupApi();
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    const at = (ms: number) => new Date(t.clock.ms + ms).toISOString();
    const report = (body: unknown, token = t.tokens.alice, user = 'alice') =>
      t.api('POST', `/users/${user}/activity`, { token, body });
    const PATH = '/users/{name}/activity';
    await t.documented(
      await report({ servers: { '': { last_activity: at(60_000) } } }),
      'POST',
      PATH,
      204,
    );
    await t.documented(
      await report({ servers: { '': { last_activity: at(-60_000) } } }),
      'POST',
      PATH,
      204,
    );
    assert.equal(
      (await t.store.getServer(t.users.alice.id, ''))?.lastActivity?.getTime(),
      t.clock.ms + 60_000,
      'an older report does not move activity back',
    );
    const future = (await t.documented(
      await report({ servers: { '': { last_activity: at(2 * 3600_000) } } }),
      'POST',
      PATH,
      400,
    )) as { field: string };
    assert.equal(future.field, 'servers..last_activity');
    const unknown = (await t.documented(
      await report({ servers: { gpu: { last_activity: at(0) } } }),
      'POST',
      PATH,
      400,
    )) as { field: string };
    assert.equal(unknown.field, 'servers.gpu');
    const badTime = (await t.documented(
      await report({ last_activity: 'yesterday' }),
      'POST',
      PATH,
      400,
    )) as {
      field: string;
    };
    assert.equal(badTime.field, 'last_activity');
    await t.documented(await report({}), 'POST', PATH, 400);
    await t.documented(
      await report({ servers: { '': { last_activity: at(0) } } }, t.tokens.bob),
      'POST',
      PATH,
      404,
    );
  });

  it('lists groups with their members, paginated, to admins only', async () => {
    const t = await setupApi();
    await t.store.setUserGroups(t.users.alice.id, 'local', ['physics', 'staff']);
    await t.store.setUserGroups(t.users.bob.id, 'oidc', ['physics']);
    const groups = (await t.documented(
      await t.api('GET', '/groups', { token: t.tokens.admin }),
      'GET',
      '/groups',
      200,
    )) as {
      name: string;
      users: string[];
    }[];
    assert.deepEqual(
      groups.map((g) => [g.name, g.users]),
      [
        ['physics', ['alice', 'bob']],
        ['staff', ['alice']],
      ],
    );
    const page = (await t.documented(
      await t.api('GET', '/groups?limit=1', {
        token: t.tokens.admin,
        headers: { accept: 'application/jupyterhub-pagination+json' },
      }),
      'GET',
      '/groups',
      200,
    )) as { items: { name: string }[]; _pagination: { total: number; next: object | null } };
    assert.deepEqual(
      page.items.map((g) => g.name),
      ['physics'],
    );
    assert.equal(page._pagination.total, 2);
    assert.ok(page._pagination.next);
    const second = (await (
      await t.api('GET', '/groups?offset=1&limit=1', {
        token: t.tokens.admin,
        headers: { accept: 'application/jupyterhub-pagination+json' },
      })
    ).json()) as { items: { name: string }[]; _pagination: { next: object | null } };
    assert.deepEqual(
      second.items.map((g) => g.name),
      ['staff'],
    );
    assert.equal(second._pagination.next, null);
    const filtered = (await (
      await t.api('GET', '/groups?name_filter=st', { token: t.tokens.admin })
    ).json()) as { name: string }[];
    assert.deepEqual(
      filtered.map((g) => g.name),
      ['staff'],
    );
    const bad = await t.api('GET', '/groups?offset=-1', { token: t.tokens.admin });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /offset/);
    await t.documented(
      await t.api('GET', '/groups', { token: t.tokens.alice }),
      'GET',
      '/groups',
      403,
    );
    const me = (await (await t.api('GET', '/user', { token: t.tokens.alice })).json()) as {
      groups: string[];
    };
    assert.deepEqual(me.groups, ['physics', 'staff']);
  });
});
