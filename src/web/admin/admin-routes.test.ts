/**
 * The admin console and portal forms in-process: who may reach them, XSRF on every form,
 * HTML injection, one-time links, and removal that keeps files unless asked.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createAuthService } from '../../auth/auth-service.ts';
import { createFakeBackend } from '../../backends/fake/fake-backend.ts';
import { parseConfig } from '../../config/load.ts';
import { silentLogger } from '../../logging/logger.ts';
import { createServerService } from '../../servers/server-service.ts';
import { openSqliteStore } from '../../store/sqlite-store.ts';
import { createWebApp, SESSION_COOKIE } from '../app.ts';

const origin = 'http://hub.test';

async function setup(extra: Record<string, unknown> = {}) {
  const config = parseConfig({
    profiles: [
      { name: 'small', displayName: 'Small', default: true },
      { name: 'gpu', displayName: 'GPU', gpu: 1 },
    ],
    ...extra,
  });
  const store = openSqliteStore(':memory:');
  const auth = createAuthService({ store, ...config.auth, cacheMs: 0 });
  const backend = createFakeBackend();
  const servers = createServerService({
    store,
    backend,
    profiles: config.profiles,
    log: silentLogger,
    ...(config.quotas ? { quotas: config.quotas } : {}),
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
    const sessionId = /ganymede-session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(sessionId);
    const identity = await auth.fromSession(sessionId);
    return { cookie: `${SESSION_COOKIE}=${sessionId}`, xsrf: auth.xsrfToken(identity!) };
  }
  const post = (path: string, cookie: string, form: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) {
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    }
    return request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin },
      body: body.toString(),
    });
  };
  const get = (path: string, cookie: string) => request(path, { headers: { cookie } });
  return { store, auth, backend, servers, request, signIn, post, get };
}

function rowsOf(page: string): string[] {
  return [...page.matchAll(/<th scope="row">\s*(?:<a [^>]*>)?([^<\s]+)/g)].map((m) => m[1] ?? '');
}

/** Every state-changing form of the portal and the console, with otherwise valid fields. */
const forms: [string, Record<string, string>][] = [
  ['/hub/spawn', {}],
  ['/hub/spawn/alice', {}],
  ['/hub/stop', {}],
  ['/hub/logout', {}],
  ['/hub/token', { note: 'x', expires_days: '1' }],
  ['/hub/token/revoke', { id: '1' }],
  ['/hub/admin/users', { name: 'newbie', access: 'invite' }],
  ['/hub/admin/users/reset', { user: 'alice' }],
  ['/hub/admin/users/admin', { user: 'alice', admin: '1' }],
  ['/hub/admin/users/remove', { user: 'alice' }],
  ['/hub/admin/groups', { group: 'g' }],
  ['/hub/admin/groups/members', { group: 'g', members: 'alice' }],
  ['/hub/admin/groups/delete', { group: 'g' }],
  ['/hub/admin/access', { profile: 'gpu' }],
  ['/hub/admin/stop', { user: 'alice' }],
  ['/hub/admin/servers/stop-all', {}],
];

const adminPages = [
  '/hub/admin',
  '/hub/admin/groups',
  '/hub/admin/servers',
  '/hub/admin/usage',
  '/hub/admin/links',
  '/hub/admin/users/remove?user=root',
  '/hub/admin/users/view?user=alice',
];

describe('admin console and portal forms', () => {
  let t: Awaited<ReturnType<typeof setup>>;
  beforeEach(async () => {
    t = await setup();
  });

  it('refuses every form without the right _xsrf, and changes nothing', async () => {
    const root = await t.signIn('root', 'root-password');
    for (const [path, fields] of forms) {
      for (const xsrf of [undefined, 'wrong', '']) {
        const res = await t.post(
          path,
          root.cookie,
          xsrf === undefined ? fields : { ...fields, _xsrf: xsrf },
        );
        assert.equal(res.status, 403, `${path} with _xsrf=${String(xsrf)}`);
      }
    }
    assert.equal((await t.store.getUser('alice'))?.admin, false);
    assert.notEqual(await t.store.getUser('alice'), undefined);
    assert.equal(await t.store.getUser('newbie'), undefined);
    assert.deepEqual(t.backend.calls, []);
  });

  it('answers 403 to a signed-in non-admin on every admin page and form', async () => {
    const alice = await t.signIn('alice', 'alice-password');
    for (const path of adminPages) {
      const res = await t.get(path, alice.cookie);
      assert.equal(res.status, 403, path);
      assert.ok(!(await res.text()).includes('root'), `${path} reveals nothing`);
    }
    for (const [path, fields] of forms.filter(([p]) => p.startsWith('/hub/admin'))) {
      const res = await t.post(path, alice.cookie, { ...fields, _xsrf: alice.xsrf, user: 'root' });
      assert.equal(res.status, 403, path);
    }
    assert.equal((await t.store.getUser('root'))?.admin, true);
    const page = await (await t.get('/hub/home', alice.cookie)).text();
    assert.ok(!page.includes('href="/hub/admin"'), 'no admin link for a non-admin');
  });

  it('sends a signed-out visitor of an admin page to sign in', async () => {
    const res = await t.request('/hub/admin/usage');
    assert.equal(res.status, 302);
    assert.match(res.headers.get('location') ?? '', /^\/hub\/login\?next=/);
  });

  it('escapes group names, token notes and notices everywhere they are shown', async () => {
    const root = await t.signIn('root', 'root-password');
    const evil = '<img src=x onerror=alert(1)>';
    assert.equal(
      (
        await t.post('/hub/admin/groups', root.cookie, {
          _xsrf: root.xsrf,
          group: evil,
          members: 'alice',
        })
      ).status,
      302,
    );
    await t.post('/hub/admin/access', root.cookie, {
      _xsrf: root.xsrf,
      profile: 'gpu',
      groups: evil,
    });
    const token = await t.post('/hub/token', root.cookie, {
      _xsrf: root.xsrf,
      note: evil,
      expires_days: '1',
    });
    const pages = [
      await token.text(),
      await (await t.get('/hub/admin/groups', root.cookie)).text(),
      await (await t.get('/hub/admin', root.cookie)).text(),
      await (
        await t.get(
          `/hub/admin/groups?done=group-saved&name=${encodeURIComponent(evil)}`,
          root.cookie,
        )
      ).text(),
    ];
    for (const page of pages) {
      assert.ok(!page.includes('<img'), 'no raw markup');
      assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;'));
    }
  });

  it('invites with a one-time link that sets a password and signs the person in', async () => {
    const root = await t.signIn('root', 'root-password');
    const res = await t.post('/hub/admin/users', root.cookie, {
      _xsrf: root.xsrf,
      name: 'Nia',
      access: 'invite',
    });
    assert.equal(res.status, 201);
    const link = /value="(http:\/\/hub\.test\/hub\/invite\/[\w-]+)"/.exec(await res.text())?.[1];
    assert.ok(link, 'the link is shown once');
    assert.equal((await t.store.getUser('nia'))?.passwordHash, null);
    const path = new URL(link).pathname;
    assert.match(await (await t.request(path)).text(), /Welcome, nia/);
    const set = (password: string, confirm = password) =>
      t.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ password, confirm }).toString(),
      });
    assert.equal((await set('short')).status, 400);
    assert.equal((await set('long-enough-1', 'long-enough-2')).status, 400);
    const ok = await set('nia-password');
    assert.equal(ok.status, 302);
    assert.match(ok.headers.get('set-cookie') ?? '', /ganymede-session=/);
    assert.equal((await set('nia-password')).status, 404, 'the link works once');
    assert.equal((await t.request(path)).status, 404);
    await t.signIn('nia', 'nia-password');
    // A cross-site post to a link is refused before the link is looked at.
    const forged = await t.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.test' },
      body: 'password=aaaaaaaa&confirm=aaaaaaaa',
    });
    assert.equal(forged.status, 403);
  });

  it('removes a person keeping their files unless the box was ticked', async () => {
    const root = await t.signIn('root', 'root-password');
    await t.auth.createUser('bob', 'bob-password', false);
    const confirm = await (await t.get('/hub/admin/users/remove?user=bob', root.cookie)).text();
    assert.match(confirm, /name="delete_files" value="1"/);
    assert.doesNotMatch(confirm, /name="delete_files"[^>]*checked/, 'never ticked by default');
    const seen: [string, boolean | undefined][] = [];
    const real = t.backend.delete.bind(t.backend);
    t.backend.delete = (ref, options) => {
      seen.push([ref.user, options?.deleteStorage]);
      return real(ref, options);
    };
    await t.post('/hub/admin/users/remove', root.cookie, { _xsrf: root.xsrf, user: 'alice' });
    await t.post('/hub/admin/users/remove', root.cookie, {
      _xsrf: root.xsrf,
      user: 'bob',
      delete_files: '1',
    });
    assert.equal(await t.store.getUser('alice'), undefined);
    assert.equal(await t.store.getUser('bob'), undefined);
    assert.deepEqual(seen, [
      ['alice', false],
      ['bob', true],
    ]);
    const self = await t.post('/hub/admin/users/remove', root.cookie, {
      _xsrf: root.xsrf,
      user: 'root',
    });
    assert.equal(self.status, 400);
  });

  it('limits an environment to a group, in the form and when starting', async () => {
    const root = await t.signIn('root', 'root-password');
    const alice = await t.signIn('alice', 'alice-password');
    await t.post('/hub/admin/groups', root.cookie, { _xsrf: root.xsrf, group: 'physics' });
    await t.post('/hub/admin/access', root.cookie, {
      _xsrf: root.xsrf,
      profile: 'gpu',
      groups: 'physics',
    });
    assert.doesNotMatch(await (await t.get('/hub/home', alice.cookie)).text(), /value="gpu"/);
    const refused = await t.post('/hub/spawn', alice.cookie, { _xsrf: alice.xsrf, profile: 'gpu' });
    assert.equal(refused.status, 403);
    await t.post('/hub/admin/groups/members', root.cookie, {
      _xsrf: root.xsrf,
      group: 'physics',
      members: 'alice',
    });
    assert.match(await (await t.get('/hub/home', alice.cookie)).text(), /value="gpu"/);
    assert.equal(
      (await t.post('/hub/spawn', alice.cookie, { _xsrf: alice.xsrf, profile: 'gpu' })).status,
      302,
    );
    const unknown = await t.post('/hub/admin/access', root.cookie, {
      _xsrf: root.xsrf,
      profile: 'gpu',
      groups: 'nope',
    });
    assert.equal(unknown.status, 400);
  });

  it('lists groups a page at a time; an environment keeps groups allowed on other pages', async () => {
    const root = await t.signIn('root', 'root-password');
    for (let i = 0; i < 55; i++) await t.store.createGroup(`g${String(i).padStart(2, '0')}`);
    await t.store.setProfileGroups('gpu', ['g54']);
    const first = await (await t.get('/hub/admin/groups', root.cookie)).text();
    assert.match(first, /Members of g49/);
    assert.doesNotMatch(first, /Members of g50/);
    assert.match(first, /Page 1 of 2/);
    // g54 lives on page 2 and is allowed: its box is on page 1's form too, ticked.
    assert.match(first, /value="g54"\s+checked/);
    const second = await (await t.get('/hub/admin/groups?page=2', root.cookie)).text();
    assert.match(second, /Members of g50/);
    assert.doesNotMatch(second, /Members of g49/);
    const beyond = await (await t.get('/hub/admin/groups?page=9', root.cookie)).text();
    assert.match(beyond, /Members of g54/, 'a page past the end shows the last');
  });

  it('shows every server and stops all of them; draws usage as an SVG chart', async () => {
    const root = await t.signIn('root', 'root-password');
    const alice = await t.signIn('alice', 'alice-password');
    await t.post('/hub/spawn', alice.cookie, { _xsrf: alice.xsrf, profile: 'gpu' });
    await t.post('/hub/spawn', root.cookie, { _xsrf: root.xsrf });
    await new Promise((r) => setImmediate(r));
    const servers = await (await t.get('/hub/admin/servers', root.cookie)).text();
    assert.match(servers, /All servers \(2 running or starting\)/);
    assert.match(servers, /alice<\/th>\s*<td>GPU<\/td>/);
    const usage = await (await t.get('/hub/admin/usage?days=7', root.cookie)).text();
    assert.match(usage, /<svg[^>]*class="chart"/);
    assert.match(usage, /<rect [^>]*fill="#/);
    const all = await t.post('/hub/admin/servers/stop-all', root.cookie, { _xsrf: root.xsrf });
    assert.equal(all.headers.get('location'), '/hub/admin/servers?done=stopped-all&name=2');
    assert.equal((await t.backend.status({ user: 'alice', server: '' })).phase, 'stopped');
  });

  it('pages 10,000 people 50 at a time in well under 200 kB; search, filters and sort stay in every link', async (ctx) => {
    const root = await t.signIn('root', 'root-password');
    for (let i = 0; i < 10_000; i++) {
      const name = `user${String(i).padStart(5, '0')}`;
      await t.store.createUser({ name, admin: false, passwordHash: null });
    }
    const first = await (await t.get('/hub/admin', root.cookie)).text();
    const bytes = Buffer.byteLength(first);
    ctx.diagnostic(`users page with 10,002 people: ${String(bytes)} bytes`);
    assert.ok(bytes < 200_000, `${String(bytes)} bytes`);
    assert.match(first, /People \(10002\)/);
    assert.match(first, /Showing 1–50 of 10002, by name\./);
    assert.equal(rowsOf(first).length, 50);
    assert.deepEqual(rowsOf(first).slice(0, 2), ['alice', 'root']);
    assert.match(first, /href="\/hub\/admin\?page=2" rel="next"/);
    assert.match(first, /Page 1 of 201/);

    // Search (any part of the name, any case) and the next page keep each other.
    const found = await (await t.get('/hub/admin?q=USER0999', root.cookie)).text();
    assert.deepEqual(
      rowsOf(found),
      Array.from({ length: 10 }, (_, i) => `user0999${String(i)}`),
    );
    const second = await (
      await t.get('/hub/admin?q=user0&sort=activity&page=2', root.cookie)
    ).text();
    assert.equal(rowsOf(second).length, 50);
    assert.match(second, /href="\/hub\/admin\?q=user0&amp;sort=activity&amp;page=3" rel="next"/);
    assert.match(second, /href="\/hub\/admin\?q=user0&amp;sort=activity" rel="prev"/);
    assert.match(
      second,
      /action="\/hub\/admin\/users\/admin\?q=user0&amp;sort=activity&amp;page=2"/,
    );
    assert.match(second, /<option value="activity" selected>/);
    const made = await t.post('/hub/admin/users/admin?q=user0&sort=activity&page=2', root.cookie, {
      _xsrf: root.xsrf,
      user: 'user00060',
      admin: '1',
    });
    assert.equal(
      made.headers.get('location'),
      '/hub/admin?q=user0&sort=activity&page=2&done=made-admin&name=user00060',
    );

    // By state, from the backend's index; by group; by last activity.
    const u42 = (await t.store.getUser('user00042'))!;
    await t.servers.start(u42, '');
    await new Promise((r) => setImmediate(r));
    await t.store.setUserGroups((await t.store.getUser('user00007'))!.id, 'local', ['physics']);
    assert.deepEqual(rowsOf(await (await t.get('/hub/admin?state=ready', root.cookie)).text()), [
      'user00042',
    ]);
    const inactive = await (
      await t.get('/hub/admin?state=inactive&q=user0004', root.cookie)
    ).text();
    assert.equal(rowsOf(inactive).length, 9, 'user00040–49 but 42');
    assert.ok(!rowsOf(inactive).includes('user00042'));
    assert.deepEqual(rowsOf(await (await t.get('/hub/admin?group=physics', root.cookie)).text()), [
      'user00007',
    ]);
    const recent = await (await t.get('/hub/admin?sort=activity', root.cookie)).text();
    assert.equal(rowsOf(recent)[0], 'user00042', 'the most recent activity first');
    assert.match(recent, /<span class="pill pill-running">running<\/span>/);
  });

  it('pages the servers the backend runs', async () => {
    const root = await t.signIn('root', 'root-password');
    for (let i = 0; i < 55; i++) {
      const user = await t.store.createUser({
        name: `u${String(i).padStart(2, '0')}`,
        admin: false,
        passwordHash: null,
      });
      await t.servers.start(user, '');
    }
    await new Promise((r) => setImmediate(r));
    const first = await (await t.get('/hub/admin/servers', root.cookie)).text();
    assert.match(first, /All servers \(55 running or starting\)/);
    assert.equal(rowsOf(first).length, 50);
    assert.match(first, /href="\/hub\/admin\/servers\?page=2" rel="next"/);
    const second = await (await t.get('/hub/admin/servers?page=2', root.cookie)).text();
    assert.deepEqual(rowsOf(second), ['u50', 'u51', 'u52', 'u53', 'u54']);
    const stop = await t.post('/hub/admin/stop?page=2', root.cookie, {
      _xsrf: root.xsrf,
      user: 'u51',
    });
    assert.equal(stop.headers.get('location'), '/hub/admin/servers?page=2&done=stopped&name=u51');
    assert.equal((await t.backend.status({ user: 'u51', server: '' })).phase, 'stopped');
  });

  it('makes an nbgitpuller link for a repository, and names the field it refuses', async () => {
    const root = await t.signIn('root', 'root-password');
    const empty = await t.get('/hub/admin/links', root.cookie);
    assert.equal(empty.status, 200);
    assert.doesNotMatch(await empty.text(), /id="content-link"/);
    const query = new URLSearchParams({
      repo: 'https://github.com/org/course',
      branch: 'main',
      file: 'week1/intro.ipynb',
    });
    const made = await t.get(`/hub/admin/links?${query.toString()}`, root.cookie);
    assert.equal(made.status, 200);
    const page = await made.text();
    const link = /id="content-link"[^>]*value="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(link, page);
    const url = new URL(link);
    assert.equal(url.pathname, '/hub/user-redirect/git-pull');
    assert.equal(url.searchParams.get('urlpath'), 'lab/tree/course/week1/intro.ipynb');
    assert.match(page, /data-copy="content-link"/);
    assert.match(page, /src="\/hub\/static\/copy.js"/);
    const bad = await t.get('/hub/admin/links?repo=ftp%3A%2F%2Fx&branch=&file=', root.cookie);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /id="link-repo-error"/);
  });

  it("shows a user's use against each quota that applies on their page", async () => {
    const q = await setup({
      quotas: {
        default: { maxServers: 2, hoursPerMonth: { gpu: 20 } },
        groups: { physics: { gpu: 1, hoursPerMonth: { gpu: 60 } } },
      },
    });
    const alice = await q.store.getUser('alice');
    assert.ok(alice);
    await q.store.setUserGroups(alice.id, 'local', ['physics']);
    await q.servers.start(alice, '', 'gpu');
    await new Promise((r) => setImmediate(r));
    const root = await q.signIn('root', 'root-password');
    const users = await (await q.get('/hub/admin', root.cookie)).text();
    assert.match(users, /<a href="\/hub\/admin\/users\/view\?user=alice">alice<\/a\s*>/);
    const res = await q.get('/hub/admin/users/view?user=alice', root.cookie);
    assert.equal(res.status, 200);
    const page = (await res.text()).replace(/\s+/g, ' ');
    assert.match(page, /Groups: physics\./);
    assert.match(page, /<th scope="row">Servers at once<\/th> <td>1<\/td> <td>2<\/td>/);
    assert.match(
      page,
      /<th scope="row">GPUs<\/th> <td>1 <span class="pill pill-failed">at the limit<\/span><\/td> <td>1<\/td>/,
    );
    assert.match(page, /<th scope="row">Hours of GPU this month<\/th> <td>0<\/td> <td>60<\/td>/);
    assert.doesNotMatch(page, /CPU cores|Memory/, 'limits that do not apply have no row');
    // Without quotas: said plainly.
    const none = await (
      await t.get(
        '/hub/admin/users/view?user=alice',
        (await t.signIn('root', 'root-password')).cookie,
      )
    ).text();
    assert.match(none, /No quota applies to alice\./);
    assert.equal((await q.get('/hub/admin/users/view?user=nobody', root.cookie)).status, 404);
  });
});
