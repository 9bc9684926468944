import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORIGIN, setupApi } from './test-harness.ts';

describe('REST API: credentials, XSRF and cross-site requests', () => {
  it('answers missing or invalid credentials with 403, as JupyterHub clients expect', async () => {
    const t = await setupApi();
    for (const token of [undefined, 'not-a-token']) {
      await t.documented(await t.api('GET', '/user', token ? { token } : {}), 'GET', '/user', 403);
      await t.documented(
        await t.api('POST', '/users/alice/server', token ? { token } : {}),
        'POST',
        '/users/{name}/server',
        403,
      );
    }
    const bearer = await t.app.request(`${ORIGIN}/hub/api/user`, {
      headers: { authorization: `Bearer ${t.tokens.alice}` },
    });
    await t.documented(bearer, 'GET', '/user', 200);
    assert.equal(t.backend.calls.length, 0);
  });

  it('needs the X-XSRFToken header for changes made with the session cookie', async () => {
    const t = await setupApi();
    const s = await t.signIn('alice', 'alice-password');
    const get = await t.app.request(`${ORIGIN}/hub/api/user`, { headers: { cookie: s.cookie } });
    await t.documented(get, 'GET', '/user', 200);

    const post = (headers: Record<string, string>) =>
      t.app.request(`${ORIGIN}/hub/api/users/alice/server`, {
        method: 'POST',
        headers: { cookie: s.cookie, origin: ORIGIN, ...headers },
      });
    const refused = (await t.documented(await post({}), 'POST', '/users/{name}/server', 403)) as {
      field: string;
    };
    assert.equal(refused.field, 'X-XSRFToken');
    await t.documented(
      await post({ 'X-XSRFToken': 'forged' }),
      'POST',
      '/users/{name}/server',
      403,
    );
    assert.equal(t.backend.calls.length, 0);
    await t.documented(await post({ 'X-XSRFToken': s.xsrf }), 'POST', '/users/{name}/server', 201);
  });

  it('refuses a cross-site form post carrying the cookie', async () => {
    const t = await setupApi();
    const s = await t.signIn('alice', 'alice-password');
    const res = await t.app.request(`${ORIGIN}/hub/api/users/alice/server`, {
      method: 'POST',
      headers: {
        cookie: s.cookie,
        origin: 'https://evil.example',
        'content-type': 'text/plain',
        'X-XSRFToken': s.xsrf,
      },
      body: '{}',
    });
    assert.equal(res.status, 403);
    assert.equal(t.backend.calls.length, 0);
  });

  it('takes token requests without an Origin (scripts, tools) without the XSRF header', async () => {
    const t = await setupApi();
    await t.api('POST', '/users/alice/server', { token: t.tokens.alice });
    await t.documented(
      await t.api('DELETE', '/users/alice/server', { token: t.tokens.alice }),
      'DELETE',
      '/users/{name}/server',
      204,
    );
  });

  it('takes away an admin’s rights from their tokens as soon as the admin right is removed', async () => {
    const t = await setupApi();
    const carol = await t.auth.createUser('carol', 'carol-password', true);
    const { token } = await t.auth.createToken(carol.id, 'automation');
    await t.documented(await t.api('GET', '/users', { token }), 'GET', '/users', 200);
    await t.documented(
      await t.api('PATCH', '/users/carol', { token: t.tokens.admin, body: { admin: false } }),
      'PATCH',
      '/users/{name}',
      200,
    );
    await t.documented(await t.api('GET', '/users', { token }), 'GET', '/users', 403);
    await t.documented(await t.api('GET', '/info', { token }), 'GET', '/info', 403);
    await t.documented(
      await t.api('POST', '/users/bob/server', { token }),
      'POST',
      '/users/{name}/server',
      404,
    );
    await t.documented(
      await t.api('POST', '/users/carol/tokens', { token, body: { roles: ['admin'] } }),
      'POST',
      '/users/{name}/tokens',
      403,
    );
    const me = (await (await t.api('GET', '/user', { token })).json()) as { scopes: string[] };
    assert.ok(
      me.scopes.every((s) => s.endsWith('!user=carol')),
      me.scopes.join(' '),
    );
  });

  it('resolves a !group= filter against the target user’s groups', async () => {
    const t = await setupApi();
    await t.store.setGroupMembers('staff', 'local', [t.users.alice.id]);
    const { token } = await t.auth.createToken(t.users.admin.id, 'group reader', {
      scopes: ['read:users!group=staff'],
    });
    await t.documented(await t.api('GET', '/users/alice', { token }), 'GET', '/users/{name}', 200);
    await t.documented(await t.api('GET', '/users/bob', { token }), 'GET', '/users/{name}', 404);
    await t.documented(await t.api('GET', '/users/nobody', { token }), 'GET', '/users/{name}', 404);
  });
});
