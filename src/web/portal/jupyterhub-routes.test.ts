/**
 * JupyterHub's page URLs on the web app (fake backend; the real path, with real Jupyter and a
 * browser, is in test/integration/hub/content-links.test.ts and test/browser/links.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthService } from '../../auth/auth-service.ts';
import { createFakeBackend, type FakeMode } from '../../backends/fake/fake-backend.ts';
import { parseConfig } from '../../config/load.ts';
import { silentLogger } from '../../logging/logger.ts';
import { createServerService } from '../../servers/server-service.ts';
import { openSqliteStore } from '../../store/sqlite-store.ts';
import { createWebApp, SESSION_COOKIE } from '../app.ts';

const origin = 'http://hub.test';

async function setup(
  options: { mode?: FakeMode; twoProfiles?: boolean; quotas?: Record<string, unknown> } = {},
) {
  const config = parseConfig({
    profiles: [
      { name: 'standard', displayName: 'Standard', default: true },
      ...(options.twoProfiles ? [{ name: 'gpu', displayName: 'GPU', gpu: 1 }] : []),
    ],
    ...(options.quotas ? { quotas: options.quotas } : {}),
  });
  const store = openSqliteStore(':memory:');
  const auth = createAuthService({ store, ...config.auth, cacheMs: 0 });
  const backend = createFakeBackend({ mode: options.mode ?? 'ok' });
  const servers = createServerService({
    store,
    backend,
    profiles: config.profiles,
    log: silentLogger,
    maxPerUser: 3,
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
  async function session(name: string, admin: boolean) {
    const user = await auth.createUser(name, `${name}-password`, admin);
    const { sessionId } = await auth.openSession(user);
    const identity = await auth.fromSession(sessionId);
    assert.ok(identity);
    const cookie = `${SESSION_COOKIE}=${sessionId}`;
    return {
      get: (path: string) => app.request(`${origin}${path}`, { headers: { cookie } }),
      post: (path: string, form: Record<string, string>) =>
        app.request(`${origin}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin },
          body: new URLSearchParams({ _xsrf: auth.xsrfToken(identity), ...form }).toString(),
        }),
    };
  }
  const alice = await session('alice', false);
  const bob = await session('bob', false);
  const root = await session('root', true);
  const anonymous = (path: string) => app.request(`${origin}${path}`);
  const starts = () =>
    backend.calls
      .filter((c) => c.op === 'start')
      .map((c) => `${c.ref.user}/${c.ref.server}:${c.options?.profile.name ?? ''}`);
  return { alice, bob, root, anonymous, starts };
}

const location = (res: Response) => res.headers.get('location') ?? '';

describe("JupyterHub's page URLs", () => {
  it('/hub/ is the home page', async () => {
    const t = await setup();
    const res = await t.alice.get('/hub/');
    assert.equal(res.status, 302);
    assert.equal(location(res), '/hub/home');
  });

  it('/hub/token is the tokens page', async () => {
    const t = await setup();
    const res = await t.alice.get('/hub/token');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /API tokens/);
  });

  it('user-redirect signed out: sign in first, with the whole link (query too) as next', async () => {
    const t = await setup();
    const link = '/hub/user-redirect/git-pull?repo=http%3A%2F%2Fgit.test%2Fc.git&urlpath=lab';
    const res = await t.anonymous(link);
    assert.equal(res.status, 302);
    const login = new URL(location(res), origin);
    assert.equal(login.pathname, '/hub/login');
    assert.equal(login.searchParams.get('next'), link);
  });

  it('user-redirect signed in: to /hub/spawn/<me> with next = the path on my server', async () => {
    const t = await setup();
    const res = await t.alice.get('/hub/user-redirect/lab/tree/x.ipynb?kernel=py');
    assert.equal(res.status, 302);
    const to = new URL(location(res), origin);
    assert.equal(to.pathname, '/hub/spawn/alice');
    assert.equal(to.searchParams.get('next'), '/user/alice/lab/tree/x.ipynb?kernel=py');
    assert.equal((await t.alice.get('/hub/user-redirect/..%2fbob/lab')).status, 400);
  });

  it('GET /hub/spawn starts the only environment, then pending, then next', async () => {
    const t = await setup({ mode: 'never-starts' });
    const next = '/user/alice/lab/tree/x.ipynb';
    const res = await t.alice.get(`/hub/spawn/alice?next=${encodeURIComponent(next)}`);
    assert.equal(res.status, 302);
    assert.equal(location(res), `/hub/spawn-pending/alice?next=${encodeURIComponent(next)}`);
    assert.deepEqual(t.starts(), ['alice/:standard']);
    const pending = await t.alice.get(location(res));
    assert.equal(pending.status, 200);
    const page = await pending.text();
    assert.match(page, /data-events="\/hub\/api\/users\/alice\/server\/progress"/);
    assert.match(page, /data-next="\/user\/alice\/lab\/tree\/x.ipynb"/);
    assert.match(page, /id="cancel"/);
    // Asking again while it starts does not start twice: it follows the start.
    const again = await t.alice.get('/hub/spawn');
    assert.equal(location(again), '/hub/spawn-pending/alice');
    assert.equal(t.starts().length, 1);
  });

  it('a running server goes straight to next (or to the server); an off-site next is dropped', async () => {
    const t = await setup();
    await t.alice.get('/hub/spawn');
    const res = await t.alice.get('/hub/spawn/alice?next=%2Fuser%2Falice%2Flab%2Ftree%2Fx.ipynb');
    assert.equal(location(res), '/user/alice/lab/tree/x.ipynb');
    const evil = await t.alice.get('/hub/spawn?next=%2F%2Fevil.example%2F');
    assert.equal(location(evil), '/user/alice/');
    const pending = await t.alice.get('/hub/spawn-pending/alice?next=%2Fuser%2Falice%2Fa');
    assert.equal(location(pending), '/user/alice/a');
  });

  it('with several environments: the choice, which posts back and continues to next', async () => {
    const t = await setup({ mode: 'never-starts', twoProfiles: true });
    const next = encodeURIComponent('/user/alice/lab');
    const form = await t.alice.get(`/hub/spawn?next=${next}`);
    assert.equal(form.status, 200);
    const page = await form.text();
    assert.match(page, new RegExp(`action="/hub/spawn/alice\\?next=${next.replace(/%/g, '%')}"`));
    assert.match(page, /value="gpu"/);
    assert.deepEqual(t.starts(), []);
    const res = await t.alice.post(`/hub/spawn/alice?next=${next}`, { profile: 'gpu' });
    assert.equal(res.status, 302);
    assert.equal(location(res), `/hub/spawn-pending/alice?next=${next}`);
    assert.deepEqual(t.starts(), ['alice/:gpu']);
  });

  it('?profile= (or opt-profile=) in the link skips the choice', async () => {
    const t = await setup({ mode: 'never-starts', twoProfiles: true });
    const res = await t.alice.get('/hub/spawn/alice?opt-profile=gpu');
    assert.equal(location(res), '/hub/spawn-pending/alice');
    assert.deepEqual(t.starts(), ['alice/:gpu']);
  });

  it('named servers: /hub/spawn/<me>/<server> creates and starts it', async () => {
    const t = await setup({ mode: 'never-starts' });
    const res = await t.alice.get('/hub/spawn/alice/analysis');
    assert.equal(location(res), '/hub/spawn-pending/alice/analysis');
    assert.deepEqual(t.starts(), ['alice/analysis:standard']);
    assert.equal((await t.alice.get('/hub/spawn-pending/alice/nothere')).status, 404);
    assert.equal((await t.alice.get('/hub/spawn/alice/Not_Valid')).status, 400);
  });

  it("someone else's server: 403 for people, whether or not the user exists; admins may", async () => {
    const t = await setup({ mode: 'never-starts' });
    for (const path of ['/hub/spawn/bob', '/hub/spawn/nobody', '/hub/spawn-pending/bob']) {
      assert.equal((await t.alice.get(path)).status, 403, path);
    }
    assert.equal((await t.alice.post('/hub/spawn/bob', {})).status, 403);
    const res = await t.root.get('/hub/spawn/alice');
    assert.equal(location(res), '/hub/spawn-pending/alice');
    assert.deepEqual(t.starts(), ['alice/:standard']);
    const pending = await (await t.root.get('/hub/spawn-pending/alice')).text();
    assert.match(pending, /\/hub\/api\/users\/alice\/server\/progress/);
    assert.doesNotMatch(pending, /id="cancel"/, "no Cancel that would stop the admin's own");
    assert.match(pending, /Starting alice&#39;s server/);
    assert.equal(location(await t.alice.get('/hub/spawn/ALICE')), '/hub/spawn-pending/alice');
    assert.equal((await t.root.get('/hub/spawn/nobody')).status, 404);
  });

  it('spawn-pending of a stopped server starts nothing: it links to spawn with next', async () => {
    const t = await setup();
    const res = await t.alice.get('/hub/spawn-pending/alice?next=%2Fuser%2Falice%2Flab%2Ftree%2Fx');
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /href="\/hub\/spawn\/alice\?next=%2Fuser%2Falice%2Flab%2Ftree%2Fx"/);
    assert.deepEqual(t.starts(), []);
  });

  it('/hub/user/<name>/… goes to /user/<name>/…', async () => {
    const t = await setup();
    const res = await t.alice.get('/hub/user/alice/lab/tree/x.ipynb?a=1');
    assert.equal(location(res), '/user/alice/lab/tree/x.ipynb?a=1');
  });

  it('tells a start a quota refuses on the environment choice, where Start was pressed', async () => {
    const t = await setup({ twoProfiles: true, quotas: { default: { gpu: 0 } } });
    const res = await t.alice.post('/hub/spawn/alice?next=%2Fuser%2Falice%2Flab', {
      profile: 'gpu',
    });
    assert.equal(res.status, 429);
    const page = await res.text();
    assert.match(page, /<h1 id="spawn-title">Start your server<\/h1>/);
    assert.match(
      page,
      /id="start-refused">This server needs 1 GPU and your limit is 0 GPUs\. Choose a smaller environment, or ask an administrator for more\./,
    );
    assert.match(page, /action="\/hub\/spawn\/alice\?next=%2Fuser%2Falice%2Flab"/, 'next kept');
    assert.deepEqual(t.starts(), []);
  });
});
