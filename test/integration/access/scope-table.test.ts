/**
 * Every scope × endpoint refusal, the proxy included, against a real local-mode hub with a
 * real Jupyter server (issue 14, points 1–3 and the table of point 8). Expected codes follow
 * JupyterHub's rules: a token reaches `/user/<name>/…` only with `access:servers` covering
 * that server; a hub API request outside the caller's rights on a named user is the 404 a
 * missing user gets; a collection needs its scope unfiltered (403).
 *
 * Also, through the same hub: `?token=` on a kernel WebSocket (as `@jupyterlab/services`
 * sends it by default) runs a cell; a page with `?token=` is not signed in by it and the
 * token never reaches `next=`; a client with no Origin signs in with the hub's `_xsrf` cookie
 * and starts a kernel with Jupyter's `_xsrf` cookie/header pair.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { Browser, startTestHub } from '../../helpers/test-hub.ts';
import { upgradeStatus } from '../proxy/client.ts';

type Ctx = Awaited<ReturnType<typeof startTestHub>>;

/** Who calls: a token (owner and scopes) or a signed-in session. */
interface Caller {
  readonly name: string;
  readonly owner: 'admin' | 'alice' | 'bob';
  /** Token scopes; absent: the owner's session cookie. */
  readonly scopes?: readonly string[];
}

const callers: readonly Caller[] = [
  { name: 'alice token read:servers', owner: 'alice', scopes: ['read:servers'] },
  {
    name: 'alice token access:servers!user=alice',
    owner: 'alice',
    scopes: ['access:servers!user=alice'],
  },
  { name: 'admin token read:servers', owner: 'admin', scopes: ['read:servers'] },
  {
    name: 'admin token access:servers!user=bob',
    owner: 'admin',
    scopes: ['access:servers!user=bob'],
  },
  {
    name: 'admin token access:servers!server=alice/x',
    owner: 'admin',
    scopes: ['access:servers!server=alice/x'],
  },
  {
    name: 'admin token access:servers!group=g (alice in g)',
    owner: 'admin',
    scopes: ['access:servers!group=g'],
  },
  {
    name: 'admin token access:servers!group=h (alice not in h)',
    owner: 'admin',
    scopes: ['access:servers!group=h'],
  },
  { name: 'admin token, no scopes', owner: 'admin', scopes: [] },
  { name: 'alice session', owner: 'alice' },
  { name: 'bob session', owner: 'bob' },
  { name: 'admin session', owner: 'admin' },
];

/** The endpoints, each with its expected status per caller (by name). */
interface Endpoint {
  readonly name: string;
  readonly expect: (caller: Caller) => number;
}

/** Whether the caller may reach alice's default server (JupyterHub's access:servers). */
function reachesAlice(c: Caller): boolean {
  if (c.scopes === undefined) return c.owner !== 'bob'; // owner, or admin by the admin role
  return (
    c.scopes.includes('access:servers!user=alice') || c.scopes.includes('access:servers!group=g')
  );
}

const endpoints: readonly Endpoint[] = [
  { name: 'GET /user/alice/api/contents', expect: (c) => (reachesAlice(c) ? 200 : 403) },
  { name: 'POST /user/alice/api/kernels', expect: (c) => (reachesAlice(c) ? 201 : 403) },
  {
    name: 'WS /user/alice/api/kernels/<id>/channels',
    expect: (c) => (reachesAlice(c) ? 101 : 403),
  },
  // A server nobody has: the same 403 as a forbidden one (nothing about existence leaks), and
  // for those who may reach any server of nobody's (admins) a "not running".
  {
    name: 'GET /user/nobody/api/contents',
    expect: (c) => (c.scopes === undefined && c.owner === 'admin' ? 503 : 403),
  },
  {
    name: 'GET /hub/api/users/alice',
    // read:users, read:users:name or read:servers on alice; the owner's self; admins.
    expect: (c) =>
      c.scopes === undefined
        ? c.owner === 'bob'
          ? 404
          : 200
        : c.scopes.includes('read:servers')
          ? 200
          : 404,
  },
  {
    name: 'GET /hub/api/users',
    expect: (c) => (c.scopes === undefined && c.owner === 'admin' ? 200 : 403),
  },
  {
    name: 'POST /hub/api/users/bob/server (servers on bob)',
    // No token here holds `servers` on bob: the 404 of a user out of reach. Sessions are left
    // out of this row: an admin's would really start bob's server.
    expect: () => 404,
  },
];

describe('scope × endpoint refusals, through a real hub and Jupyter', { timeout: 600_000 }, () => {
  let ctx: Ctx;
  let alice: Browser;
  const sessions = new Map<string, Browser>();
  const tokens = new Map<string, string>();
  let kernelId = '';

  before(async () => {
    ctx = await startTestHub();
    const { auth, store } = ctx.hub;
    const a = await auth.createUser('alice', 'alice-password', false);
    await auth.createUser('bob', 'bob-password', false);
    await store.setGroupMembers('g', 'local', [a.id]);
    await store.createGroup('h');
    alice = new Browser(ctx.hub.url);
    await alice.signIn('alice', 'alice-password');
    await alice.startServer();
    for (const [name, password] of [
      ['alice', 'alice-password'],
      ['bob', 'bob-password'],
      ['admin', 'admin-test-password'],
    ] as const) {
      const b = name === 'alice' ? alice : new Browser(ctx.hub.url);
      if (name !== 'alice') await b.signIn(name, password);
      sessions.set(name, b);
    }
    for (const c of callers) {
      if (c.scopes === undefined) continue;
      const owner = await store.getUser(c.owner);
      assert.ok(owner);
      tokens.set(c.name, (await auth.createToken(owner.id, c.name, { scopes: c.scopes })).token);
    }
    const kernel = await alice.fetch('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"python3"}',
    });
    assert.equal(kernel.status, 201, await kernel.clone().text());
    kernelId = ((await kernel.json()) as { id: string }).id;
  });

  after(async () => {
    await ctx.hub.backend.stop({ user: 'alice', server: '' });
    await ctx.hub.close();
  });

  /** One request as the caller: token in the header, or the session's cookies and Origin. */
  async function call(c: Caller, endpoint: string): Promise<{ status: number; body: string }> {
    const [method = 'GET', path = '/'] = endpoint.split(' ');
    const token = tokens.get(c.name);
    const session = sessions.get(c.owner);
    assert.ok(session);
    if (method === 'WS') {
      const url = `${ctx.hub.url}${path.replace('<id>', kernelId)}`;
      // A token goes in the query, as @jupyterlab/services sends it; a session sends its
      // cookie and our Origin, as a browser does.
      const status =
        token === undefined
          ? await upgradeStatus(url, { cookie: session.cookieHeader, origin: ctx.hub.url })
          : await upgradeStatus(`${url}?token=${token}`, {});
      return { status, body: '' };
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method === 'POST') headers['content-type'] = 'application/json';
    const body = path.includes('kernels') ? '{"name":"python3"}' : undefined;
    const res =
      token === undefined
        ? await session.fetch(path, { method, headers, ...(body ? { body } : {}) })
        : await fetch(`${ctx.hub.url}${path}`, {
            method,
            headers: { ...headers, authorization: `token ${token}` },
            redirect: 'manual',
            ...(body ? { body } : {}),
          });
    return { status: res.status, body: await res.text() };
  }

  /** One cell of the table; undefined for the cells left out (see the endpoint). */
  async function callRow(c: Caller, e: Endpoint) {
    if (c.scopes === undefined && e.name.startsWith('POST /hub/api')) return undefined;
    return call(c, e.name.replace(/ \(.*\)$/, ''));
  }

  it('answers each caller on each endpoint as JupyterHub’s rules say', async () => {
    const wrong: string[] = [];
    const created: string[] = [];
    for (const e of endpoints) {
      for (const c of callers) {
        const got = await callRow(c, e);
        if (got === undefined) continue;
        const want = e.expect(c);
        if (got.status !== want)
          wrong.push(
            `${c.name} × ${e.name}: ${got.status}, expected ${want}: ${got.body.slice(0, 200)}`,
          );
        if (got.status === 201 && e.name.includes('kernels')) {
          created.push((JSON.parse(got.body) as { id: string }).id);
        }
      }
    }
    for (const id of created) {
      await alice.fetch(`/user/alice/api/kernels/${id}`, { method: 'DELETE' });
    }
    assert.deepEqual(wrong, []);
  });

  it('gives a missing server and a forbidden one the same answer', async () => {
    const bob = callers.find((c) => c.name === 'admin token access:servers!user=bob');
    assert.ok(bob);
    const forbidden = await call(bob, 'GET /user/alice/api/contents');
    const missing = await call(bob, 'GET /user/nobody/api/contents');
    assert.equal(forbidden.status, 403);
    assert.deepEqual(missing, forbidden);
  });

  it('runs a cell over the kernel WebSocket with ?token= and nothing else', async () => {
    const token = tokens.get('alice token access:servers!user=alice');
    assert.ok(token);
    const url = `${ctx.hub.url.replace('http', 'ws')}/user/alice/api/kernels/${kernelId}/channels?token=${token}`;
    assert.equal(await executeOverWebSocket(url, '6*7', {}), '42');
  });

  it('does not sign a page in with ?token=, and keeps the token out of next=', async () => {
    const token = tokens.get('alice token access:servers!user=alice');
    assert.ok(token);
    const anonymous = new Browser(ctx.hub.url);
    const page = await anonymous.navigate(`/user/alice/lab?token=${token}`);
    assert.equal(page.status, 302);
    const location = page.headers.get('location') ?? '';
    assert.equal(location, `/hub/login?next=${encodeURIComponent('/user/alice/lab')}`);
    assert.ok(!location.includes(token));
    assert.ok(!page.headers.getSetCookie().some((c) => c.includes(token)));
  });

  it('lets a client with no Origin sign in with _xsrf and start a kernel with Jupyter’s pair', async () => {
    // A page view (fetch() cannot send one: it always says Sec-Fetch-Mode: cors).
    const loginPage = await new Browser(ctx.hub.url).navigate('/hub/login');
    assert.equal(loginPage.status, 200);
    const hubXsrf = loginPage.headers
      .getSetCookie()
      .map((c) => /^_xsrf=([^;]+)/.exec(c)?.[1])
      .find((v) => v !== undefined);
    assert.ok(hubXsrf, 'GET /hub/login sets _xsrf');
    const fetchNoOrigin = (
      path: string,
      init: { method: string; headers?: Record<string, string>; body?: string },
    ) =>
      fetch(`${ctx.hub.url}${path}`, {
        redirect: 'manual',
        ...init,
        headers: { cookie: `_xsrf=${hubXsrf}`, ...init.headers },
      });
    const signIn = await fetchNoOrigin('/hub/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        username: 'alice',
        password: 'alice-password',
        _xsrf: hubXsrf,
      }).toString(),
    });
    assert.equal(signIn.status, 302, await signIn.text());
    const cookies = signIn.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');
    const session = cookies.find((c) => c.startsWith('ganymede-session='));
    assert.ok(session);
    // Jupyter sets its own _xsrf for its path on a page view.
    const lab = await fetch(`${ctx.hub.url}/user/alice/lab`, {
      headers: { cookie: session, accept: 'text/html', 'sec-fetch-mode': 'navigate' },
      redirect: 'manual',
    });
    assert.equal(lab.status, 200);
    const jupyterXsrf = lab.headers
      .getSetCookie()
      .map((c) => /^_xsrf=([^;]+)/.exec(c)?.[1])
      .find((v) => v !== undefined);
    assert.ok(jupyterXsrf, 'Jupyter set its _xsrf cookie');
    const kernel = (extra: Record<string, string>) =>
      fetch(`${ctx.hub.url}/user/alice/api/kernels`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...extra },
        body: '{"name":"python3"}',
      });
    const refused = await kernel({ cookie: session });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /X-XSRFToken/);
    const ok = await kernel({
      cookie: `${session}; _xsrf=${jupyterXsrf}`,
      'x-xsrftoken': jupyterXsrf,
    });
    assert.equal(ok.status, 201, await ok.clone().text());
    const { id } = (await ok.json()) as { id: string };
    // The same request with an admin token along: judged by the token alone.
    const adminToken = tokens.get('admin token access:servers!group=g (alice in g)');
    assert.ok(adminToken);
    const withToken = await kernel({ cookie: session, authorization: `token ${adminToken}` });
    assert.equal(withToken.status, 201, await withToken.clone().text());
    const { id: id2 } = (await withToken.json()) as { id: string };
    for (const k of [id, id2])
      await alice.fetch(`/user/alice/api/kernels/${k}`, { method: 'DELETE' });
  });
});
