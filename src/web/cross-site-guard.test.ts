/**
 * The cross-site rule on the hub's own forms and REST API (docs/security.md), through the whole
 * web app: a client written for JupyterHub signs in and calls the API with only the `_xsrf`
 * cookie (no Origin), browsers pass as before, and refusals say what was missing or wrong.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ORIGIN, setupApi } from '../api/test-harness.ts';

const FORM = 'application/x-www-form-urlencoded';

/** The `_xsrf` cookie a response sets: its value and attributes. */
function xsrfCookie(res: Response): { value: string; attributes: string } | undefined {
  for (const line of res.headers.getSetCookie()) {
    const m = /^_xsrf=([^;]*)(.*)$/.exec(line);
    if (m) return { value: m[1] ?? '', attributes: m[2] ?? '' };
  }
  return undefined;
}

function sessionOf(res: Response): string {
  for (const line of res.headers.getSetCookie()) {
    const m = /^(ganymede-session=[^;]+)/.exec(line);
    if (m?.[1]) return m[1];
  }
  assert.fail('no session cookie');
}

describe('cross-site rule on the hub (forms and API)', () => {
  it('lets a JupyterHub client sign in and use the API with only the _xsrf cookie, no Origin', async () => {
    const t = await setupApi();
    const page = await t.app.request(`${ORIGIN}/hub/login`);
    assert.equal(page.status, 200);
    const anonymous = xsrfCookie(page);
    assert.ok(anonymous, 'GET /hub/login sets the _xsrf cookie');
    assert.match(anonymous.attributes, /Path=\/hub\//);
    assert.match(anonymous.attributes, /Max-Age=3600/);
    assert.doesNotMatch(anonymous.attributes, /HttpOnly/);
    assert.match(await page.text(), new RegExp(`name="_xsrf" value="${anonymous.value}"`));

    const login = (xsrf: string | undefined, cookie: string | undefined) =>
      t.app.request(`${ORIGIN}/hub/login`, {
        method: 'POST',
        headers: { 'content-type': FORM, ...(cookie ? { cookie: `_xsrf=${cookie}` } : {}) },
        body: new URLSearchParams({
          username: 'alice',
          password: 'alice-password',
          ...(xsrf ? { _xsrf: xsrf } : {}),
        }).toString(),
      });
    const missing = await login(undefined, anonymous.value);
    assert.equal(missing.status, 403);
    assert.match(await missing.text(), /X-XSRFToken header or the _xsrf form field/);
    const noCookie = await login(anonymous.value, undefined);
    assert.equal(noCookie.status, 403);
    assert.match(
      await noCookie.text(),
      /nothing to match: the request carries no hub _xsrf cookie/,
    );
    const wrong = await login('A'.repeat(43), anonymous.value);
    assert.equal(wrong.status, 403);
    assert.match(await wrong.text(), /does not match/);

    const signedIn = await login(anonymous.value, anonymous.value);
    assert.equal(signedIn.status, 302);
    const session = sessionOf(signedIn);
    const sessionXsrf = xsrfCookie(signedIn);
    assert.ok(sessionXsrf, 'signing in replaces the anonymous _xsrf cookie');
    assert.notEqual(sessionXsrf.value, anonymous.value);

    const cookie = `${session}; _xsrf=${sessionXsrf.value}`;
    const start = await t.app.request(`${ORIGIN}/hub/api/users/alice/server`, {
      method: 'POST',
      headers: { cookie, 'X-XSRFToken': sessionXsrf.value },
    });
    assert.equal(start.status, 201, await start.text());
    // A value that is not the hub's (e.g. a notebook server's _xsrf) is named as such.
    const foreign = await t.app.request(`${ORIGIN}/hub/api/users/alice/server`, {
      method: 'DELETE',
      headers: { cookie, 'X-XSRFToken': '2|aabbccdd|00112233|1700000000' },
    });
    assert.equal(foreign.status, 403);
    const body = (await foreign.json()) as { message: string; field: string };
    assert.match(body.message, /does not match the hub’s _xsrf cookie/);
    assert.equal(body.field, 'X-XSRFToken');
    const stop = await t.app.request(`${ORIGIN}/hub/api/users/alice/server`, {
      method: 'DELETE',
      headers: { cookie, 'X-XSRFToken': sessionXsrf.value },
    });
    assert.equal(stop.status, 204, await stop.text());
  });

  it('sets the session’s token as the cookie on pages, and keeps it when already right', async () => {
    const t = await setupApi();
    const s = await t.signIn('alice', 'alice-password');
    const home = await t.app.request(`${ORIGIN}/hub/home`, { headers: { cookie: s.cookie } });
    assert.equal(xsrfCookie(home)?.value, s.xsrf);
    const again = await t.app.request(`${ORIGIN}/hub/home`, {
      headers: { cookie: `${s.cookie}; _xsrf=${s.xsrf}` },
    });
    assert.equal(xsrfCookie(again), undefined);
    const fetched = await t.app.request(`${ORIGIN}/hub/home`, {
      headers: { cookie: s.cookie, 'sec-fetch-mode': 'cors' },
    });
    assert.equal(xsrfCookie(fetched), undefined, 'only navigations get the cookie');
    const api = await t.app.request(`${ORIGIN}/hub/api/user`, { headers: { cookie: s.cookie } });
    assert.equal(xsrfCookie(api), undefined, 'API answers set no cookie');
  });

  it('refuses Sec-Fetch-Site: cross-site on a form even with our Origin and a valid _xsrf', async () => {
    const t = await setupApi();
    const s = await t.signIn('alice', 'alice-password');
    const post = (headers: Record<string, string>) =>
      t.app.request(`${ORIGIN}/hub/logout`, {
        method: 'POST',
        headers: { 'content-type': FORM, cookie: s.cookie, origin: ORIGIN, ...headers },
        body: new URLSearchParams({ _xsrf: s.xsrf }).toString(),
      });
    const refused = await post({ 'sec-fetch-site': 'cross-site' });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /Sec-Fetch-Site/);
    const foreign = await post({ origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.match(await foreign.text(), /Origin header names another site/);
    // A browser's own form: same origin, same-origin fetch metadata, the page's _xsrf.
    assert.equal((await post({ 'sec-fetch-site': 'same-origin' })).status, 302);
  });

  it('judges a token request by its token alone, even with a session cookie and no Origin', async () => {
    const t = await setupApi();
    const s = await t.signIn('alice', 'alice-password');
    const res = await t.app.request(`${ORIGIN}/hub/api/users/alice/server`, {
      method: 'POST',
      headers: { cookie: s.cookie, authorization: `token ${t.tokens.alice}` },
    });
    assert.equal(res.status, 201, await res.text());
    const crossSite = await t.app.request(`${ORIGIN}/hub/api/users/alice/server`, {
      method: 'DELETE',
      headers: { authorization: `token ${t.tokens.alice}`, 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(crossSite.status, 403, 'but never a cross-site one');
  });

  it('signs a browser in on its Origin alone, as before', async () => {
    const t = await setupApi();
    await t.signIn('alice', 'alice-password');
  });
});
