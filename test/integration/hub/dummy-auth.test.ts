/**
 * The dummy authenticator (`auth.type: dummy`) on a real hub: two names nobody created sign in
 * through the real form and get accounts of their own; a name that breaks the rule is told
 * why; every page, the proxy's own included, carries the demo banner. No server is started.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_BANNER_TEXT } from '../../../src/web/demo-banner.ts';
import { Browser, startTestHub } from '../../helpers/test-hub.ts';

describe('dummy authenticator on a real hub', { timeout: 120_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;

  before(async () => {
    ctx = await startTestHub({ config: { auth: { type: 'dummy' } } });
  });

  after(async () => {
    await ctx.hub.close();
  });

  it('two new names sign in through the form, each into an account of their own', async () => {
    const ids = new Set<number>();
    for (const [typed, name] of [
      ['Load-Tester-1', 'load-tester-1'],
      ['zoë', 'zoë'],
    ] as const) {
      assert.equal(await ctx.hub.store.getUser(name), undefined, `${name} does not exist yet`);
      const person = new Browser(ctx.hub.url);
      const page = await person.navigate('/hub/login');
      assert.equal(page.status, 200);
      assert.ok((await page.text()).includes(DEMO_BANNER_TEXT), 'the sign-in page warns');
      await person.signIn(typed, 'any password at all');
      assert.equal(person.user, name);
      const user = await ctx.hub.store.getUser(name);
      assert.ok(user, 'made on first sign-in');
      assert.equal(user.admin, false);
      ids.add(user.id);
      const home = await person.navigate('/hub/home');
      assert.equal(home.status, 200);
      assert.ok((await home.text()).includes(DEMO_BANNER_TEXT), 'the home page warns');
      // Signing in again, with another password, is the same person.
      const again = new Browser(ctx.hub.url);
      await again.signIn(name, 'a different password');
      assert.equal((await ctx.hub.store.getUser(name))?.id, user.id);
    }
    assert.equal(ids.size, 2);
  });

  it('a name that breaks the rule is refused with the rule, and nothing is made', async () => {
    const person = new Browser(ctx.hub.url);
    const res = await person.form('/hub/login', { username: 'no/slashes', password: 'x' });
    assert.equal(res.status, 401);
    const page = await res.text();
    assert.ok(page.includes(DEMO_BANNER_TEXT));
    assert.doesNotMatch(page, /Wrong user name or password/);
    assert.equal((await ctx.hub.store.listUsers({ offset: 0, limit: 50 })).total, 3);
  });

  it('every page carries the banner: tokens, errors, and the proxy’s own pages', async () => {
    const person = new Browser(ctx.hub.url);
    await person.signIn('banner-check', 'x');
    for (const path of ['/hub/token', '/hub/no-such-page', '/user/banner-check/lab']) {
      const res = await person.navigate(path);
      const text = await res.text();
      assert.ok(text.includes(DEMO_BANNER_TEXT), `${path} (${String(res.status)})`);
    }
    // JSON answers are left alone.
    const api = await person.fetch('/hub/api/user');
    assert.equal(((await api.json()) as { name: string }).name, 'banner-check');
  });
});
