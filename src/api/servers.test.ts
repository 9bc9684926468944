import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setupApi } from './test-harness.ts';

const START = '/users/{name}/server';
const NAMED = '/users/{name}/servers/{server_name}';
const PROGRESS = '/users/{name}/server/progress';
const NAMED_PROGRESS = '/users/{name}/servers/{server_name}/progress';

describe('REST API: servers', () => {
  it('starts the default server with a profile, and refuses a second start while it runs', async () => {
    const t = await setupApi();
    await t.documented(
      await t.api('POST', '/users/alice/server', {
        token: t.tokens.alice,
        body: { profile: 'standard' },
      }),
      'POST',
      START,
      201,
    );
    assert.equal(t.backend.calls[0]?.options?.profile.name, 'standard');
    const again = (await t.documented(
      await t.api('POST', '/users/alice/server', { token: t.tokens.alice }),
      'POST',
      START,
      400,
    )) as { message: string };
    assert.match(again.message, /already running/);
    assert.equal(t.backend.calls.length, 1);
  });

  it('answers a start a quota refuses with 429 and the message, and starts nothing', async () => {
    const t = await setupApi({ quotas: { users: { alice: { maxServers: 1 } } } });
    await t.documented(
      await t.api('POST', '/users/alice/server', { token: t.tokens.alice }),
      'POST',
      START,
      201,
    );
    const refused = (await t.documented(
      await t.api('POST', '/users/alice/servers/two', { token: t.tokens.alice }),
      'POST',
      NAMED,
      429,
    )) as { message: string };
    assert.equal(
      refused.message,
      'You can run 1 server at once and 1 is running (the default one). Stop one to start this one.',
    );
    assert.equal(t.backend.calls.length, 1);
    // bob has no quota.
    await t.documented(
      await t.api('POST', '/users/bob/servers/two', { token: t.tokens.bob }),
      'POST',
      NAMED,
      201,
    );
  });

  it('refuses an unknown profile or option, naming the field, and starts nothing', async () => {
    const t = await setupApi();
    for (const [body, field] of [
      [{ profile: 'huge' }, 'profile'],
      [{ profil: 'standard' }, 'body'],
      [{ profile: 7 }, 'profile'],
    ] as const) {
      const res = (await t.documented(
        await t.api('POST', '/users/alice/server', { token: t.tokens.alice, body }),
        'POST',
        START,
        400,
      )) as { field: string };
      assert.equal(res.field, field, JSON.stringify(body));
    }
    const notJson = await t.app.request('http://hub.test/hub/api/users/alice/server', {
      method: 'POST',
      headers: { authorization: `token ${t.tokens.alice}`, 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(
      ((await t.documented(notJson, 'POST', START, 400)) as { field: string }).field,
      'body',
    );
    assert.equal(t.backend.calls.length, 0);
  });

  it('answers 202 while a start is pending, and a stop then cancels it', async () => {
    const t = await setupApi({ mode: 'never-starts' });
    await t.documented(
      await t.api('POST', '/users/alice/server', { token: t.tokens.alice }),
      'POST',
      START,
      202,
    );
    await t.documented(
      await t.api('POST', '/users/alice/server', { token: t.tokens.alice }),
      'POST',
      START,
      202,
    );
    const user = (await (await t.api('GET', '/users/alice', { token: t.tokens.alice })).json()) as {
      pending: string;
      servers: Record<string, { pending: string; ready: boolean }>;
    };
    assert.equal(user.pending, 'spawn');
    assert.equal(user.servers['']?.ready, false);
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token: t.tokens.alice }),
      'DELETE',
      START,
      204,
    );
    assert.deepEqual(
      t.backend.calls.map((c) => c.op),
      ['start', 'stop'],
    );
  });

  it('stops a running server (204), and a stopped one is not an error', async () => {
    const t = await setupApi();
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token: t.tokens.alice }),
      'DELETE',
      START,
      204,
    );
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token: t.tokens.alice }),
      'DELETE',
      START,
      204,
    );
    assert.equal((await t.servers.state(t.users.alice, '')).phase, 'stopped');
    const remove = (await t.documented(
      await t.api('DELETE', '/users/alice/server', {
        token: t.tokens.alice,
        body: { remove: true },
      }),
      'DELETE',
      START,
      400,
    )) as { field: string };
    assert.equal(remove.field, 'remove');
  });

  it('takes an empty server name as the default server, as JupyterHub does (`servers/`)', async () => {
    const t = await setupApi();
    const token = t.tokens.alice;
    await t.documented(await t.api('POST', '/users/alice/servers/', { token }), 'POST', START, 201);
    assert.equal((await t.servers.state(t.users.alice, '')).phase, 'running');
    const events = await (await t.api('GET', '/users/alice/servers//progress', { token })).text();
    assert.match(events, /"ready":true/);
    assert.match(events, /"url":"\/user\/alice\/"/);
    await t.documented(
      await t.api('DELETE', '/users/alice/servers/', { token }),
      'DELETE',
      START,
      204,
    );
    assert.equal((await t.servers.state(t.users.alice, '')).phase, 'stopped');
    assert.deepEqual(
      t.backend.calls.map((c) => [c.op, c.ref.server]),
      [
        ['start', ''],
        ['stop', ''],
      ],
    );
  });

  it('answers 202 when a stop takes longer than the slow-stop wait', async () => {
    const t = await setupApi({ slowStopMs: 20 });
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    let finish: () => void = () => undefined;
    const stop = t.backend.stop.bind(t.backend);
    t.backend.stop = (ref) =>
      new Promise<void>((resolve) => {
        finish = () => {
          void stop(ref).then(resolve);
        };
      });
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token: t.tokens.alice }),
      'DELETE',
      START,
      202,
    );
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token: t.tokens.alice }),
      'DELETE',
      START,
      202,
    );
    finish();
  });

  it('lets an admin start and stop anyone’s server, but no user another’s', async () => {
    const t = await setupApi();
    await t.documented(
      await t.api('POST', '/users/bob/server', { token: t.tokens.alice }),
      'POST',
      START,
      404,
    );
    assert.equal(t.backend.calls.length, 0);
    await t.documented(
      await t.api('POST', '/users/bob/server', { token: t.tokens.admin }),
      'POST',
      START,
      201,
    );
    await t.documented(
      await t.api('DELETE', '/users/bob/server', { token: t.tokens.alice }),
      'DELETE',
      START,
      404,
    );
    assert.equal(t.backend.calls.length, 1, 'alice could not stop it');
    await t.documented(
      await t.api('DELETE', '/users/bob/server', { token: t.tokens.admin }),
      'DELETE',
      START,
      204,
    );
  });

  it('lets a read-only token follow progress but not start or stop', async () => {
    const t = await setupApi();
    const { token } = await t.auth.createToken(t.users.alice.id, 'watch', {
      scopes: ['read:servers!user=alice'],
    });
    await t.documented(await t.api('POST', '/users/alice/server', { token }), 'POST', START, 404);
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token }),
      'DELETE',
      START,
      404,
    );
    const events = (await t.documented(
      await t.api('GET', '/users/alice/server/progress', { token }),
      'GET',
      PROGRESS,
      200,
    )) as string;
    const parsed = events
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)) as { ready?: boolean; url?: string });
    assert.equal(parsed.at(-1)?.ready, true);
    assert.equal(parsed.at(-1)?.url, '/user/alice/');
    await t.documented(
      await t.api('GET', '/users/bob/server/progress', { token }),
      'GET',
      PROGRESS,
      404,
    );
  });

  it('reports a failed start as a failed progress event', async () => {
    const t = await setupApi({ mode: 'fails' });
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    const events = await (
      await t.api('GET', '/users/alice/server/progress', { token: t.tokens.alice })
    ).text();
    assert.match(events, /"failed":true/);
    assert.doesNotMatch(events, /"ready":true/);
  });

  it('lets a server-management token stop servers but not manage users or tokens', async () => {
    const t = await setupApi();
    const { token } = await t.auth.createToken(t.users.admin.id, 'culler', {
      scopes: ['list:users', 'read:users:activity', 'users:activity', 'servers'],
    });
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    await t.documented(await t.api('GET', '/users?state=ready', { token }), 'GET', '/users', 200);
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token }),
      'DELETE',
      START,
      204,
    );
    await t.documented(
      await t.api('POST', '/users', { token, body: { usernames: ['mallory'] } }),
      'POST',
      '/users',
      403,
    );
    await t.documented(
      await t.api('DELETE', '/users/alice', { token }),
      'DELETE',
      '/users/{name}',
      404,
    );
    await t.documented(
      await t.api('GET', '/users/alice/tokens', { token }),
      'GET',
      '/users/{name}/tokens',
      404,
    );
  });

  it('creates, stops and removes named servers, JupyterHub style', async () => {
    const t = await setupApi();
    await t.documented(
      await t.api('POST', '/users/alice/servers/train', {
        token: t.tokens.alice,
        body: { profile: 'standard' },
      }),
      'POST',
      NAMED,
      201,
    );
    const start = t.backend.calls.at(-1);
    assert.deepEqual(start?.ref, { user: 'alice', server: 'train' });
    assert.equal(start.options?.baseUrl, '/user/alice/train/');
    const again = (await t.documented(
      await t.api('POST', '/users/alice/servers/train', { token: t.tokens.alice }),
      'POST',
      NAMED,
      400,
    )) as { message: string };
    assert.match(again.message, /alice's server train is already running/);

    const user = (await t.documented(
      await t.api('GET', '/users/alice', { token: t.tokens.alice }),
      'GET',
      '/users/{name}',
      200,
    )) as { server: string | null; servers: Record<string, { url: string; ready: boolean }> };
    assert.equal(user.server, null, 'the default server is not running');
    assert.deepEqual(Object.keys(user.servers), ['train']);
    assert.equal(user.servers['train']?.url, '/user/alice/train/');
    assert.equal(user.servers['train'].ready, true);

    const events = (await t.documented(
      await t.api('GET', '/users/alice/servers/train/progress', { token: t.tokens.alice }),
      'GET',
      NAMED_PROGRESS,
      200,
    )) as string;
    assert.match(events, /"url":"\/user\/alice\/train\/"/);

    // Stop keeps the record; remove forgets it (the backend deletes without storage).
    await t.documented(
      await t.api('DELETE', '/users/alice/servers/train', { token: t.tokens.alice }),
      'DELETE',
      NAMED,
      204,
    );
    assert.equal((await t.servers.state(t.users.alice, 'train')).phase, 'stopped');
    await t.documented(
      await t.api('DELETE', '/users/alice/servers/train', {
        token: t.tokens.alice,
        body: { remove: true },
      }),
      'DELETE',
      NAMED,
      204,
    );
    assert.equal(await t.store.getServer(t.users.alice.id, 'train'), undefined);
    assert.equal(t.backend.calls.at(-1)?.op, 'delete');
    for (const [method, path] of [
      ['DELETE', '/users/alice/servers/train'],
      ['GET', '/users/alice/servers/train/progress'],
    ] as const) {
      const gone = (await t.documented(
        await t.api(method, path, { token: t.tokens.alice }),
        method,
        method === 'GET' ? NAMED_PROGRESS : NAMED,
        404,
      )) as { field: string };
      assert.equal(gone.field, 'server_name');
    }
  });

  it('enforces servers.maxPerUser with a 400, the default server included', async () => {
    const t = await setupApi();
    for (const name of ['one', 'two']) {
      await t.documented(
        await t.api('POST', `/users/alice/servers/${name}`, { token: t.tokens.alice }),
        'POST',
        NAMED,
        201,
      );
    }
    const refused = (await t.documented(
      await t.api('POST', '/users/alice/servers/three', { token: t.tokens.alice }),
      'POST',
      NAMED,
      400,
    )) as { message: string };
    assert.match(refused.message, /You already have 3 servers/);
    assert.equal(await t.store.getServer(t.users.alice.id, 'three'), undefined);
    await t.documented(
      await t.api('POST', '/users/alice/server', { token: t.tokens.alice }),
      'POST',
      START,
      201,
    );
  });

  it('refuses server names that break the rule with 400 naming server_name', async () => {
    const t = await setupApi();
    for (const name of ['lab', 'api', 'GPU', 'gpu_1', 'x'.repeat(33), 'z%C3%B6e']) {
      const res = (await t.documented(
        await t.api('POST', `/users/alice/servers/${name}`, { token: t.tokens.alice }),
        'POST',
        NAMED,
        400,
      )) as { field: string };
      assert.equal(res.field, 'server_name', name);
    }
    assert.equal(t.backend.calls.length, 0);
  });

  it('applies the same 404 rule and server-filtered scopes to named servers', async () => {
    const t = await setupApi();
    await t.documented(
      await t.api('POST', '/users/bob/servers/gpu', { token: t.tokens.alice }),
      'POST',
      NAMED,
      404,
    );
    const { token } = await t.auth.createToken(t.users.alice.id, 'one server', {
      scopes: ['servers!server=alice/one'],
    });
    await t.documented(
      await t.api('POST', '/users/alice/servers/one', { token }),
      'POST',
      NAMED,
      201,
    );
    await t.documented(
      await t.api('POST', '/users/alice/servers/other', { token }),
      'POST',
      NAMED,
      404,
    );
    await t.documented(await t.api('POST', '/users/alice/server', { token }), 'POST', START, 404);
    await t.documented(
      await t.api('DELETE', '/users/alice/servers/one', { token, body: { remove: true } }),
      'DELETE',
      NAMED,
      204,
    );
    assert.deepEqual(
      t.backend.calls.map((c) => [c.op, c.ref.server]),
      [
        ['start', 'one'],
        ['delete', 'one'],
      ],
    );
  });
});
