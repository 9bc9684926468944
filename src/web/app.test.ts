import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createAuthService } from '../auth/auth-service.ts';
import { createFakeBackend, type FakeMode } from '../backends/fake/fake-backend.ts';
import { parseConfig } from '../config/load.ts';
import { silentLogger } from '../logging/logger.ts';
import { createServerService } from '../servers/server-service.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createWebApp, SESSION_COOKIE } from './app.ts';

const origin = 'http://hub.test';

async function setup(mode: FakeMode = 'ok') {
  const config = parseConfig({});
  const store = openSqliteStore(':memory:');
  const auth = createAuthService({ store, ...config.auth, cacheMs: 0 });
  const backend = createFakeBackend({ mode });
  const servers = createServerService({
    store,
    backend,
    profiles: config.profiles,
    log: silentLogger,
  });
  const app = createWebApp({
    auth,
    servers,
    store,
    log: silentLogger,
    publicUrl: undefined,
    sessionHours: 1,
  });
  await auth.createUser('alice', 'alice-password', false);
  await auth.createUser('root', 'root-password', true);
  const request = (path: string, init: RequestInit = {}) => app.request(`${origin}${path}`, init);

  async function signIn(user: string, password: string) {
    const res = await request('/hub/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ username: user, password }).toString(),
    });
    assert.equal(res.status, 302);
    const cookie = res.headers.get('set-cookie') ?? '';
    const sessionId = /ganymede-session=([^;]+)/.exec(cookie)?.[1];
    assert.ok(sessionId, cookie);
    const identity = await auth.fromSession(sessionId);
    return {
      cookie: `${SESSION_COOKIE}=${sessionId}`,
      setCookie: cookie,
      xsrf: auth.xsrfToken(identity!),
    };
  }

  function post(
    path: string,
    cookie: string,
    form: Record<string, string>,
    headers: Record<string, string> = { origin },
  ) {
    return request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }
  return { app, store, auth, backend, request, signIn, post };
}

describe('web app', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    t = await setup();
  });

  it('sets an HttpOnly, SameSite=Lax session cookie and follows a safe next', async () => {
    const res = await t.request('/hub/login?next=%2Fuser%2Falice%2Flab', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: 'username=Alice&password=alice-password',
    });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/user/alice/lab');
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/);
  });

  it('does not follow an off-site next', async () => {
    const res = await t.request('/hub/login?next=%2F%2Fevil.example%2F', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: 'username=alice&password=alice-password',
    });
    assert.equal(res.headers.get('location'), '/hub/home');
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const form = (u: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ username: u, password: 'nope-nope' }).toString(),
    });
    const a = await t.request('/hub/login', form('alice'));
    const b = await t.request('/hub/login', form('nobody'));
    assert.equal(a.status, 401);
    assert.equal(b.status, 401);
    assert.equal(await a.text(), await b.text());
  });

  it('refuses a cross-site form post even with a valid session', async () => {
    const s = await t.signIn('alice', 'alice-password');
    const res = await t.post(
      '/hub/spawn',
      s.cookie,
      { _xsrf: s.xsrf },
      { origin: 'https://evil.example' },
    );
    assert.equal(res.status, 403);
    assert.equal(t.backend.calls.length, 0);
  });

  it('refuses a form without the session xsrf value', async () => {
    const s = await t.signIn('alice', 'alice-password');
    const res = await t.post('/hub/spawn', s.cookie, { _xsrf: 'wrong' });
    assert.equal(res.status, 403);
    assert.equal(t.backend.calls.length, 0);
  });

  it('starts a server with the chosen profile and base URL, then streams progress', async () => {
    const s = await t.signIn('alice', 'alice-password');
    const res = await t.post('/hub/spawn', s.cookie, { _xsrf: s.xsrf, profile: 'standard' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/hub/spawn-pending');
    const call = t.backend.calls.find((c) => c.op === 'start');
    assert.equal(call?.options?.baseUrl, '/user/alice/');
    assert.equal(call.options.profile.name, 'standard');
    const events = await t.request('/hub/api/users/alice/server/progress', {
      headers: { cookie: s.cookie },
    });
    const text = await events.text();
    assert.match(text, /"ready":true/);
    assert.match(text, /"url":"\/user\/alice\/"/);
  });

  it('refuses an unknown profile naming the field', async () => {
    const s = await t.signIn('alice', 'alice-password');
    const res = await t.post(
      '/hub/spawn',
      s.cookie,
      { _xsrf: s.xsrf, profile: 'gpu-monster' },
      {
        origin,
        accept: 'application/json',
      },
    );
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      status: 400,
      message: 'There is no environment called "gpu-monster".',
      field: 'profile',
    });
  });

  it("hides another user's progress and the admin page from non-admins", async () => {
    const s = await t.signIn('alice', 'alice-password');
    const other = await t.request('/hub/api/users/root/server/progress', {
      headers: { cookie: s.cookie },
    });
    assert.equal(other.status, 404);
    const admin = await t.request('/hub/admin', { headers: { cookie: s.cookie } });
    assert.equal(admin.status, 403);
  });

  it('escapes user-supplied text on the admin page', async () => {
    const root = await t.signIn('root', 'root-password');
    const res = await t.post('/hub/admin/users', root.cookie, {
      _xsrf: root.xsrf,
      name: '<script>alert(1)</script>',
      password: 'long-enough',
    });
    assert.equal(res.status, 400, 'such a name is refused outright');
    const page = await (
      await t.request('/hub/admin?done=removed&name=%3Cimg%20src%3Dx%3E', {
        headers: { cookie: root.cookie },
      })
    ).text();
    assert.ok(!page.includes('<img src=x>'));
    assert.ok(page.includes('&lt;img src=x&gt;'));
  });

  it('signs out by revoking the session', async () => {
    const s = await t.signIn('alice', 'alice-password');
    const out = await t.post('/hub/logout', s.cookie, { _xsrf: s.xsrf });
    assert.equal(out.status, 302);
    const home = await t.request('/hub/home', { headers: { cookie: s.cookie } });
    assert.equal(home.status, 302);
    assert.match(home.headers.get('location') ?? '', /^\/hub\/login/);
  });

  it("signs out on a GET from the hub's own pages (JupyterLab's Log Out), asks otherwise", async () => {
    const s = await t.signIn('alice', 'alice-password');
    const signedIn = async () =>
      (await t.request('/hub/home', { headers: { cookie: s.cookie } })).status === 200;
    const foreign = await t.request('/hub/logout', {
      headers: { cookie: s.cookie, 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(foreign.status, 200);
    assert.match(await foreign.text(), /<form method="post" action="\/hub\/logout">/);
    assert.ok(await signedIn(), 'a cross-site GET does not sign out');
    const own = await t.request('/hub/logout', {
      headers: { cookie: s.cookie, 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(own.status, 302);
    assert.equal(own.headers.get('location'), '/hub/login');
    assert.ok(!(await signedIn()), 'signed out');
    const again = await t.request('/hub/logout', { headers: { cookie: s.cookie } });
    assert.equal(again.headers.get('location'), '/hub/login');
  });

  it('shows a failed start in plain words with the detail folded away', async () => {
    t = await setup('fails');
    const s = await t.signIn('alice', 'alice-password');
    await t.post('/hub/spawn', s.cookie, { _xsrf: s.xsrf });
    const events = await (
      await t.request('/hub/api/users/alice/server/progress', { headers: { cookie: s.cookie } })
    ).text();
    assert.match(events, /"failed":true/);
    assert.match(events, /Traceback: boom/);
  });
});
