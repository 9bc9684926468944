/**
 * Sign-in through a real OpenID provider (oidc-provider) in Chromium: the hub's sign-in page
 * offers the provider, the person fills the provider's login and consent forms, and lands on
 * /hub/home signed in under the normalised name. Someone outside the allowed groups sees the
 * plain refusal page. The hub's pages are screenshotted at 1280 and 375 px and checked with
 * axe-core; the provider's development pages are only screenshotted.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findFreePort } from '../../src/backends/local/free-port.ts';
import type { Hub } from '../../src/hub/hub.ts';
import { artifactsDir, launchChromium } from '../helpers/chromium.ts';
import { startTestHub } from '../helpers/test-hub.ts';
import { startTestProvider, type TestProvider } from '../integration/oidc/test-provider.ts';
import { checkPage } from './page-checks.ts';

const SECRET_ENV = 'GANYMEDE_TEST_OIDC_CLIENT_SECRET';

const accounts = {
  'sub-alice': { preferred_username: 'Alice.Smith', groups: ['staff'] },
  'sub-carol': { preferred_username: 'carol', groups: ['chemistry'] },
};

/** Screenshots a page of the provider at both widths (no accessibility check: not ours). */
async function shoot(page: Page, name: string): Promise<void> {
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(artifactsDir, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 740 });
  await page.screenshot({ path: join(artifactsDir, `${name}-375.png`), fullPage: true });
  await page.setViewportSize(original);
}

describe('sign-in with an OpenID provider in Chromium', { timeout: 300_000 }, () => {
  let hub: Hub | undefined;
  let dataDir: string | undefined;
  let idp: TestProvider | undefined;
  let browser: Browser | undefined;

  before(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    const port = await findFreePort();
    const callbackUrl = `http://127.0.0.1:${port}/hub/oauth/callback`;
    idp = await startTestProvider({ redirectUrl: callbackUrl, accounts });
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
          },
        },
      },
    });
    hub = started.hub;
    dataDir = started.dataDir;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
    await idp?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A fresh browser context (no cookies at the hub or the provider) on the hub's sign-in page. */
  async function openSignIn(): Promise<{ context: BrowserContext; page: Page }> {
    assert.ok(browser && hub);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${hub.url}/hub/login`);
    return { context, page };
  }

  /** Clicks the provider's button, signs in as `login` and consents; returns at the hub. */
  async function signInAtProvider(page: Page, login: string, shots: string): Promise<void> {
    assert.ok(hub && idp);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.waitForURL((url) => url.href.startsWith(idp?.issuer ?? '-'));
    const loginField = page.locator('input[name="login"]');
    await loginField.waitFor();
    await shoot(page, `${shots}-provider-login`);
    await loginField.fill(login);
    await page.locator('input[name="password"]').fill('any-password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const consent = page.locator('input[name="prompt"][value="consent"]');
    await consent.waitFor({ state: 'attached' });
    await shoot(page, `${shots}-provider-consent`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.href.startsWith(hub?.url ?? '-'));
  }

  it('signs in at the provider and lands on the portal under the normalised name', async () => {
    assert.ok(hub);
    const { context, page } = await openSignIn();
    try {
      const button = page.getByRole('link', { name: 'Sign in with Test IdP' });
      await button.waitFor();
      assert.ok(await page.locator('input[name="password"]').count(), 'the password form stays');
      await checkPage(page, 'oidc-sign-in');

      await signInAtProvider(page, 'sub-alice', 'oidc-alice');
      await page.waitForURL(`${hub.url}/hub/home`);
      const heading = page.getByRole('heading', { level: 1 });
      await heading.waitFor();
      assert.equal(await heading.innerText(), 'Hello, alice.smith');
      assert.doesNotMatch(await page.locator('body').innerText(), /Alice\.Smith/);
      await checkPage(page, 'oidc-home');

      const cookies = await context.cookies(hub.url);
      assert.ok(
        cookies.some((c) => c.name === 'ganymede-session'),
        'a session cookie',
      );
      assert.ok(!cookies.some((c) => c.name === 'ganymede-oidc'), 'pending cookie deleted');
      const user = await hub.store.getUser('alice.smith');
      assert.ok(user);
      assert.equal(user.admin, false);
    } finally {
      await context.close();
    }
  });

  it('shows the plain refusal page to someone outside the allowed groups', async () => {
    assert.ok(hub);
    const { context, page } = await openSignIn();
    try {
      await signInAtProvider(page, 'sub-carol', 'oidc-carol');
      assert.match(page.url(), /\/hub\/oauth\/callback/);
      await page.getByText(/not in a group that may use this service/).waitFor();
      await checkPage(page, 'oidc-refused');
      const cookies = await context.cookies(hub.url);
      assert.ok(!cookies.some((c) => c.name === 'ganymede-session'), 'no session');
      assert.equal(await hub.store.getUser('carol'), undefined, 'no account');
      // The portal still asks for a sign-in.
      await page.goto(`${hub.url}/hub/home`);
      assert.match(page.url(), /\/hub\/login/);
    } finally {
      await context.close();
    }
  });
});
