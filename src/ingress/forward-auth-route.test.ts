import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { rightsOf } from '../api/scopes.ts';
import type { ServerRef } from '../backends/types.ts';
import { silentLogger } from '../logging/logger.ts';
import { effectiveCookieDomain, ingressRoutingSchema } from './config.ts';
import { createForwardAuthRoutes } from './forward-auth-route.ts';

const users = {
  'alice-session': {
    user: 'alice',
    userId: 1,
    admin: false,
    credential: 'session' as const,
    scopes: rightsOf({ name: 'alice', admin: false }),
  },
  'bob-session': {
    user: 'bob',
    userId: 2,
    admin: false,
    credential: 'session' as const,
    scopes: rightsOf({ name: 'bob', admin: false }),
  },
};
const touched: ServerRef[] = [];
let server: Server;
let base = '';

before(async () => {
  const handle = createForwardAuthRoutes({
    config: ingressRoutingSchema.parse({ baseDomain: 'nb.example.org' }),
    hubPublicUrl: 'https://hub.nb.example.org/',
    authenticate: (req) =>
      Promise.resolve(users[(req.headers.cookie ?? '').replace('s=', '') as keyof typeof users]),
    findServer: (label, identity) =>
      Promise.resolve(
        label === 'alice' && identity.user === 'alice' ? { user: 'alice', server: '' } : undefined,
      ),
    route: () => ({ target: 'http://10.0.0.1:8888', token: 'nb-token' }),
    recordActivity: (ref) => touched.push(ref),
    log: silentLogger,
  });
  server = createServer((req, res) => {
    if (!handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const original = 'https://alice.nb.example.org/user/alice/lab?reset';

async function ask(cookie?: string, extra: Record<string, string> = {}, query = '') {
  return fetch(`${base}/hub/auth/forward${query}`, {
    redirect: 'manual',
    headers: { 'x-original-url': original, ...(cookie ? { cookie } : {}), ...extra },
  });
}

test('the owner gets 200 with the notebook token and user for the controller', async () => {
  const res = await ask('s=alice-session');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-ganymede-notebook-authorization'), 'token nb-token');
  assert.equal(res.headers.get('x-ganymede-user'), 'alice');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(touched.at(-1), { user: 'alice', server: '' });
});

test('another user gets 403 and no token', async () => {
  const res = await ask('s=bob-session');
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('x-ganymede-notebook-authorization'), null);
});

test('no cookie gets 401 with a sign-in URL that comes back to the notebook', async () => {
  const res = await ask();
  assert.equal(res.status, 401);
  const signIn = new URL(res.headers.get('x-ganymede-sign-in') ?? '');
  assert.equal(signIn.origin + signIn.pathname, 'https://hub.nb.example.org/hub/login');
  const next = signIn.searchParams.get('next') ?? '';
  assert.equal(next, `/hub/auth/return?to=${encodeURIComponent(original)}`);
  const back = await fetch(base + next, { redirect: 'manual' });
  assert.equal(back.status, 302);
  assert.equal(back.headers.get('location'), original);
  const redirect = await ask(undefined, {}, '?redirect=1');
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get('location'), signIn.href);
});

test('the return hop only goes to notebook hosts', async () => {
  for (const to of [
    'https://evil.example.org/',
    'https://alice.nb.example.org.evil.test/',
    'http://alice.nb.example.org/',
    'https://user:pw@alice.nb.example.org/',
    '//alice.nb.example.org/',
  ]) {
    const res = await fetch(`${base}/hub/auth/return?to=${encodeURIComponent(to)}`, {
      redirect: 'manual',
    });
    assert.equal(res.headers.get('location'), '/hub/home', to);
  }
});

test('a cross-site state change is refused even for the owner', async () => {
  const res = await ask('s=alice-session', {
    'x-original-method': 'POST',
    origin: 'https://bob.nb.example.org',
  });
  assert.equal(res.status, 403);
});

test('a sub-request without the original URL is a 400; other methods 405', async () => {
  const res = await fetch(`${base}/hub/auth/forward`, { headers: { cookie: 's=alice-session' } });
  assert.equal(res.status, 400);
  const post = await fetch(`${base}/hub/auth/forward`, { method: 'POST' });
  assert.equal(post.status, 405);
});

test('the cookie domain must cover both the hub and the notebook hosts', () => {
  const config = ingressRoutingSchema.parse({ baseDomain: 'nb.example.org' });
  assert.deepEqual(effectiveCookieDomain(config, 'https://hub.nb.example.org'), {
    domain: 'nb.example.org',
  });
  assert.ok('problem' in effectiveCookieDomain(config, 'https://hub.example.org'));
  assert.ok('problem' in effectiveCookieDomain(config, undefined));
  const parent = ingressRoutingSchema.parse({
    baseDomain: 'nb.example.org',
    cookieDomain: 'example.org',
  });
  assert.deepEqual(effectiveCookieDomain(parent, 'https://hub.example.org'), {
    domain: 'example.org',
  });
  const unrelated = ingressRoutingSchema.parse({
    baseDomain: 'nb.example.org',
    cookieDomain: 'other.org',
  });
  assert.ok('problem' in effectiveCookieDomain(unrelated, 'https://hub.other.org'));
});
