/**
 * Sign-in through a real OpenID provider (oidc-provider) into a real hub, over HTTP, with
 * every redirect followed by hand. Local accounts must keep working next to it.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { findFreePort } from '../../../src/backends/local/free-port.ts';
import type { Hub } from '../../../src/hub/hub.ts';
import { ADMIN_PASSWORD, Browser, startTestHub } from '../../helpers/test-hub.ts';
import { Agent } from './agent.ts';
import { startTestProvider, type TestProvider } from './test-provider.ts';

const SECRET_ENV = 'GANYMEDE_TEST_OIDC_CLIENT_SECRET';

/** The provider's people; tests may change groups between sign-ins. */
const accounts: Record<string, { preferred_username: string; groups: string[] }> = {
  'sub-alice': { preferred_username: 'Alice.Smith', groups: ['staff'] },
  'sub-bob': { preferred_username: 'bob', groups: ['staff', 'hub-admins'] },
  'sub-carol': { preferred_username: 'carol', groups: ['chemistry'] },
  'sub-dave': { preferred_username: 'dave', groups: ['staff'] },
  'sub-erin': { preferred_username: 'erin', groups: ['staff'] },
  'sub-slash': { preferred_username: 'x/../admin', groups: ['staff'] },
  'sub-admin': { preferred_username: 'admin', groups: ['staff'] },
  'sub-alice-2': { preferred_username: 'alice.smith', groups: ['staff'] },
};

let hub: Hub;
let dataDir: string;
let idp: TestProvider;
let callbackUrl: string;

before(async () => {
  const port = await findFreePort();
  callbackUrl = `http://127.0.0.1:${port}/hub/oauth/callback`;
  idp = await startTestProvider({
    redirectUrl: callbackUrl,
    accounts,
  });
  process.env[SECRET_ENV] = idp.clientSecret;
  const started = await startTestHub({
    port,
    config: {
      auth: {
        oidc: {
          issuer: idp.issuer,
          displayName: 'Test IdP',
          clientId: idp.clientId,
          clientSecretEnv: SECRET_ENV,
          redirectUrl: callbackUrl,
          scopes: ['openid', 'profile', 'groups'],
          groupsClaim: 'groups',
          allowedGroups: ['staff'],
          adminGroups: ['hub-admins'],
        },
      },
    },
  });
  hub = started.hub;
  dataDir = started.dataDir;
});

after(async () => {
  await hub.close();
  await idp.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs the flow up to (not including) the hub's callback. */
async function toCallback(agent: Agent, account: string, next?: string): Promise<string> {
  const query = next === undefined ? '' : `?next=${encodeURIComponent(next)}`;
  return agent.signInAtProvider(`${hub.url}/hub/oauth/login${query}`, account, callbackUrl);
}

const sessionOf = (agent: Agent) => agent.jar(hub.url).get('ganymede-session');

describe('sign-in with an OpenID provider', () => {
  it('offers the provider on the sign-in page next to the password form', async () => {
    const page = await (await new Agent().request(`${hub.url}/hub/login`)).text();
    assert.match(page, /href="\/hub\/oauth\/login\?next=%2Fhub%2Fhome"\s*>Sign in with Test IdP</);
    assert.match(page, /name="password"/);
  });

  it('sends the browser to the provider with PKCE S256, state and nonce', async () => {
    const agent = new Agent();
    const res = await agent.request(`${hub.url}/hub/oauth/login`);
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(location.origin, idp.issuer);
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.match(location.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
    assert.ok(location.searchParams.get('state'));
    assert.ok(location.searchParams.get('nonce'));
    assert.equal(location.searchParams.get('redirect_uri'), callbackUrl);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('ganymede-oidc='));
    assert.match(cookie ?? '', /HttpOnly/i);
    assert.match(cookie ?? '', /SameSite=Lax/i);
    assert.match(cookie ?? '', /Path=\/hub\/oauth\//);
    assert.ok(!(cookie ?? '').includes(location.searchParams.get('state') ?? '-'), 'sealed');
  });

  it('creates the user on first sign-in with a normalised name and lands on /hub/home', async () => {
    const agent = new Agent();
    const callback = await toCallback(agent, 'sub-alice');
    const res = await agent.request(callback);
    assert.equal(res.status, 302, await res.text());
    assert.equal(res.headers.get('location'), '/hub/home');
    assert.ok(sessionOf(agent), 'a session cookie');
    assert.equal(agent.jar(hub.url).get('ganymede-oidc'), undefined, 'pending cookie deleted');
    const home = await agent.request(`${hub.url}/hub/home`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /alice\.smith/);
    const user = await hub.store.getUser('alice.smith');
    assert.ok(user);
    assert.equal(user.admin, false);
    assert.equal(user.passwordHash, null, 'no password: local sign-in stays closed');
    assert.deepEqual(await hub.store.listUserGroups(user.id), ['staff']);
    assert.deepEqual(await hub.store.listExternalIdentities(user.id), [
      { issuer: idp.issuer, subject: 'sub-alice' },
    ]);

    // Signing in again finds the same user through (iss, sub).
    const again = new Agent();
    assert.equal((await again.request(await toCallback(again, 'sub-alice'))).status, 302);
    assert.equal((await hub.store.getUsersByName(['alice.smith'])).length, 1);
  });

  it('makes members of an admin group administrators, and follows a safe next=', async () => {
    const agent = new Agent();
    const res = await agent.request(await toCallback(agent, 'sub-bob', '/hub/admin'));
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/hub/admin');
    assert.equal((await hub.store.getUser('bob'))?.admin, true);
    const admin = await agent.request(`${hub.url}/hub/admin`);
    assert.equal(admin.status, 200);
    const bob = await hub.store.getUser('bob');
    assert.deepEqual(await hub.store.listUserGroups(bob?.id ?? -1), ['hub-admins', 'staff']);
  });

  it('follows the provider when someone leaves or joins the admin group', async () => {
    accounts['sub-bob'] = { preferred_username: 'bob', groups: ['staff'] };
    const agent = new Agent();
    assert.equal((await agent.request(await toCallback(agent, 'sub-bob'))).status, 302);
    const bob = await hub.store.getUser('bob');
    assert.equal(bob?.admin, false, 'left the admin group: no longer an administrator');
    assert.deepEqual(await hub.store.listUserGroups(bob.id), ['staff']);
    assert.equal((await agent.request(`${hub.url}/hub/admin`)).status, 403);

    accounts['sub-bob'] = { preferred_username: 'bob', groups: ['staff', 'hub-admins'] };
    const back = new Agent();
    assert.equal((await back.request(await toCallback(back, 'sub-bob'))).status, 302);
    assert.equal((await hub.store.getUser('bob'))?.admin, true);
  });

  it('never follows a next= to another site', async () => {
    const agent = new Agent();
    const res = await agent.request(await toCallback(agent, 'sub-dave', '//evil.example/x'));
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/hub/home');
  });

  it('refuses people outside the allowed groups with a plain page and no account', async () => {
    const agent = new Agent();
    const res = await agent.request(await toCallback(agent, 'sub-carol'));
    assert.equal(res.status, 403);
    assert.match(await res.text(), /not in a group that may use this service/);
    assert.equal(sessionOf(agent), undefined);
    assert.equal(await hub.store.getUser('carol'), undefined);
  });

  it('refuses a user name the naming rule refuses, saying why', async () => {
    const agent = new Agent();
    const res = await agent.request(await toCallback(agent, 'sub-slash'));
    assert.equal(res.status, 403);
    const page = await res.text();
    assert.match(page, /cannot be used here\. User names may contain letters/);
    assert.equal(sessionOf(agent), undefined);
  });

  it('never hands a local account, or another person’s, to a provider user of that name', async () => {
    const agent = new Agent();
    const res = await agent.request(await toCallback(agent, 'sub-admin'));
    assert.equal(res.status, 403);
    assert.match(await res.text(), /already belongs to another account/);
    assert.equal(sessionOf(agent), undefined);

    // A second person whose provider name normalises to alice's is not alice.
    const other = new Agent();
    const second = await other.request(await toCallback(other, 'sub-alice-2'));
    assert.equal(second.status, 403);
    assert.equal(sessionOf(other), undefined);
  });

  it('says so plainly when the person cancels at the provider', async () => {
    const agent = new Agent();
    const callback = await agent.signInAtProvider(
      `${hub.url}/hub/oauth/login`,
      'sub-erin',
      callbackUrl,
      { cancel: true },
    );
    assert.equal(new URL(callback).searchParams.get('error'), 'access_denied');
    const res = await agent.request(callback);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /The sign-in at Test IdP was cancelled or refused/);
    assert.equal(sessionOf(agent), undefined);
  });

  it('refuses a tampered state', async () => {
    const agent = new Agent();
    const callback = new URL(await toCallback(agent, 'sub-erin'));
    callback.searchParams.set('state', 'forged-state');
    const res = await agent.request(callback.href);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /could not complete your sign-in/);
    assert.equal(sessionOf(agent), undefined);
    assert.equal(await hub.store.getUser('erin'), undefined);
  });

  it('refuses a callback without the pending sign-in cookie (login CSRF)', async () => {
    const victim = new Agent();
    const attackerCallback = await toCallback(new Agent(), 'sub-erin');
    const res = await victim.request(attackerCallback);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /expired or was started in another window/);
    assert.equal(sessionOf(victim), undefined);
  });

  it('refuses a replayed code, even with the original pending cookie', async () => {
    const agent = new Agent();
    const callback = await toCallback(agent, 'sub-dave');
    const pending = agent.jar(hub.url).get('ganymede-oidc');
    assert.ok(pending);
    assert.equal((await agent.request(callback)).status, 302);

    const replayer = new Agent();
    replayer.jar(hub.url).set('ganymede-oidc', pending);
    const res = await replayer.request(callback);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /could not complete your sign-in/);
    assert.equal(sessionOf(replayer), undefined);
  });

  it('keeps local accounts working', async () => {
    const browser = new Browser(hub.url);
    await browser.signIn('admin', ADMIN_PASSWORD);
    const home = await browser.fetch('/hub/home');
    assert.equal(home.status, 200);
    assert.match(await home.text(), /admin/);
    const wrong = await new Browser(hub.url).form('/hub/login', {
      username: 'alice.smith',
      password: 'anything-at-all',
    });
    assert.equal(wrong.status, 401, 'a provider account has no password to guess');
  });
});
