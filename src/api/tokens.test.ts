import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setupApi } from './test-harness.ts';

const LIST = '/users/{name}/tokens';
const ONE = '/users/{name}/tokens/{token_id}';

interface TokenBody {
  id: string;
  token?: string;
  note: string;
  scopes: string[];
  expires_at: string | null;
}
interface Identity {
  name: string;
  scopes: string[];
  token_id: string | null;
  servers?: object;
  admin?: boolean;
}

describe('REST API: tokens', () => {
  it('creates, lists, reads and revokes a token; a revoked token stops working', async () => {
    const t = await setupApi();
    const created = (await t.documented(
      await t.api('POST', '/users/alice/tokens', {
        token: t.tokens.alice,
        body: { note: 'laptop' },
      }),
      'POST',
      LIST,
      201,
    )) as TokenBody;
    assert.equal(created.note, 'laptop');
    assert.deepEqual(created.scopes, ['inherit']);
    assert.ok(created.token);
    const me = (await t.documented(
      await t.api('GET', '/user', { token: created.token }),
      'GET',
      '/user',
      200,
    )) as Identity;
    assert.equal(me.token_id, created.id);

    const list = (await t.documented(
      await t.api('GET', '/users/alice/tokens', { token: t.tokens.alice }),
      'GET',
      LIST,
      200,
    )) as { api_tokens: TokenBody[] };
    assert.ok(list.api_tokens.some((x) => x.id === created.id));
    assert.ok(
      list.api_tokens.every((x) => x.token === undefined),
      'secrets are never listed',
    );
    const one = (await t.documented(
      await t.api('GET', `/users/alice/tokens/${created.id}`, { token: t.tokens.alice }),
      'GET',
      ONE,
      200,
    )) as TokenBody;
    assert.equal(one.note, 'laptop');

    await t.documented(
      await t.api('DELETE', `/users/alice/tokens/${created.id}`, { token: t.tokens.alice }),
      'DELETE',
      ONE,
      204,
    );
    await t.documented(await t.api('GET', '/user', { token: created.token }), 'GET', '/user', 403);
    for (const id of [created.id, 'a999', 'x', '1']) {
      await t.documented(
        await t.api('GET', `/users/alice/tokens/${id}`, { token: t.tokens.alice }),
        'GET',
        ONE,
        404,
      );
    }
  });

  it('expires tokens: no longer listed nor accepted', async () => {
    const t = await setupApi();
    const created = (await (
      await t.api('POST', '/users/alice/tokens', {
        token: t.tokens.alice,
        body: { expires_in: 60 },
      })
    ).json()) as TokenBody;
    assert.ok(created.expires_at);
    await t.documented(await t.api('GET', '/user', { token: created.token }), 'GET', '/user', 200);
    t.clock.ms += 61_000;
    await t.documented(await t.api('GET', '/user', { token: created.token }), 'GET', '/user', 403);
    const list = (await (
      await t.api('GET', '/users/alice/tokens', { token: t.tokens.alice })
    ).json()) as {
      api_tokens: TokenBody[];
    };
    assert.ok(!list.api_tokens.some((x) => x.id === created.id));
  });

  it('issues narrow tokens that see and do only what their scopes allow', async () => {
    const t = await setupApi();
    const narrow = (await t.documented(
      await t.api('POST', '/users/alice/tokens', {
        token: t.tokens.alice,
        body: { scopes: ['read:users:activity!user=alice'] },
      }),
      'POST',
      LIST,
      201,
    )) as TokenBody;
    const me = (await t.documented(
      await t.api('GET', '/user', { token: narrow.token }),
      'GET',
      '/user',
      200,
    )) as Identity;
    assert.equal(me.name, 'alice');
    assert.deepEqual(me.scopes, ['read:users:activity!user=alice']);
    assert.equal(me.servers, undefined, 'no read:servers: no server model');
    for (const [method, path, doc] of [
      ['POST', '/users/alice/server', '/users/{name}/server'],
      ['GET', '/users/alice/tokens', LIST],
      ['POST', '/users/alice/tokens', LIST],
    ] as const) {
      await t.documented(await t.api(method, path, { token: narrow.token }), method, doc, 404);
    }
    assert.equal(t.backend.calls.length, 0);
  });

  it('never issues a token wider than its owner or the caller', async () => {
    const t = await setupApi();
    for (const body of [
      { scopes: ['admin:users'] },
      { scopes: ['servers!user=bob'] },
      { roles: ['admin'] },
      { roles: ['server-management'] },
    ]) {
      await t.documented(
        await t.api('POST', '/users/alice/tokens', { token: t.tokens.alice, body }),
        'POST',
        LIST,
        403,
      );
    }
    // A token allowed to make tokens, but nothing else, cannot make an everything-token.
    const { token: minter } = await t.auth.createToken(t.users.alice.id, 'minter', {
      scopes: ['tokens!user=alice'],
    });
    await t.documented(
      await t.api('POST', '/users/alice/tokens', { token: minter }),
      'POST',
      LIST,
      403,
    );
    await t.documented(
      await t.api('POST', '/users/alice/tokens', {
        token: minter,
        body: { scopes: ['read:tokens!user=alice'] },
      }),
      'POST',
      LIST,
      201,
    );
    // An admin may give alice a token, but only within alice's rights.
    await t.documented(
      await t.api('POST', '/users/alice/tokens', {
        token: t.tokens.admin,
        body: { scopes: ['list:users'] },
      }),
      'POST',
      LIST,
      403,
    );
    const forAlice = (await t.documented(
      await t.api('POST', '/users/alice/tokens', { token: t.tokens.admin }),
      'POST',
      LIST,
      201,
    )) as TokenBody;
    assert.match(forAlice.note, /by root/);
    // And admins may give themselves the server-management role for a culler.
    const culler = (await t.documented(
      await t.api('POST', '/users/root/tokens', {
        token: t.tokens.admin,
        body: { roles: ['server-management'] },
      }),
      'POST',
      LIST,
      201,
    )) as TokenBody;
    assert.ok(culler.scopes.includes('servers'));
  });

  it('names the bad field in a token request', async () => {
    const t = await setupApi();
    for (const [body, field] of [
      [{ scopes: ['root'] }, 'scopes.0'],
      [{ roles: ['user', 'wizard'] }, 'roles.1'],
      [{ expires_in: 'soon' }, 'expires_in'],
      [{ scopes: 'self' }, 'scopes'],
    ] as const) {
      const res = (await t.documented(
        await t.api('POST', '/users/alice/tokens', { token: t.tokens.alice, body }),
        'POST',
        LIST,
        400,
      )) as { field: string };
      assert.equal(res.field, field, JSON.stringify(body));
    }
  });

  it('keeps one user’s tokens from another', async () => {
    const t = await setupApi();
    const list = (await (
      await t.api('GET', '/users/alice/tokens', { token: t.tokens.alice })
    ).json()) as {
      api_tokens: TokenBody[];
    };
    const id = list.api_tokens[0]?.id ?? '';
    await t.documented(
      await t.api('GET', `/users/alice/tokens/${id}`, { token: t.tokens.bob }),
      'GET',
      ONE,
      404,
    );
    await t.documented(
      await t.api('DELETE', `/users/alice/tokens/${id}`, { token: t.tokens.bob }),
      'DELETE',
      ONE,
      404,
    );
    await t.documented(
      await t.api('GET', `/users/bob/tokens/${id}`, { token: t.tokens.bob }),
      'GET',
      ONE,
      404,
    );
    await t.documented(await t.api('GET', '/user', { token: t.tokens.alice }), 'GET', '/user', 200);
    await t.documented(
      await t.api('GET', `/users/alice/tokens/${id}`, { token: t.tokens.admin }),
      'GET',
      ONE,
      200,
    );
  });
});
