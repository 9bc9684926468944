/**
 * A person in a real browser: signs in, presses Start, watches progress, lands in JupyterLab.
 * Screenshots are kept in artifacts/ for a human to look at.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { artifactsDir, launchChromium } from '../helpers/chromium.ts';
import { ADMIN_PASSWORD, startTestHub } from '../helpers/test-hub.ts';

describe('local mode in Chromium', { timeout: 300_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let browser: Browser;

  before(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    ctx = await startTestHub();
    browser = await launchChromium();
  });

  after(async () => {
    await browser.close();
    await ctx.hub.backend.stop({ user: 'admin', server: '' });
    await ctx.hub.close();
  });

  it('signs in, starts a server and shows JupyterLab', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${ctx.hub.url}/hub/home`);
    assert.match(page.url(), /\/hub\/login/);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.screenshot({ path: join(artifactsDir, 'local-sign-in.png') });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Start my server' }).waitFor();
    await page.screenshot({ path: join(artifactsDir, 'local-home.png') });
    await page.getByRole('button', { name: 'Start my server' }).click();
    await page.waitForURL(/\/user\/admin\/lab/, { timeout: 120_000 });
    // JupyterLab's launcher is the proof that its front end loaded through the proxy.
    await page.locator('.jp-Launcher, .jp-LauncherCard').first().waitFor({ timeout: 120_000 });
    await page.screenshot({ path: join(artifactsDir, 'local-jupyterlab.png') });
    assert.match(await page.title(), /JupyterLab/);

    // JupyterLab's hub extension, turned on by the page config the hub gives the server.
    await page.locator('.lm-MenuBar-itemLabel', { hasText: /^File$/ }).click();
    const controlPanel = page.locator('.lm-Menu-itemLabel', { hasText: /^Hub Control Panel$/ });
    // One "Log Out", the hub extension's, and no "Shut Down": the hub stops servers.
    // (JupyterLab keeps its own hidden entries in the menu's DOM.)
    const logOut = page.locator('.lm-Menu-itemLabel:visible', { hasText: /^Log Out$/ });
    await controlPanel.waitFor();
    await logOut.waitFor();
    assert.equal(
      await page.locator('.lm-Menu-itemLabel:visible', { hasText: /^Shut Down$/ }).count(),
      0,
    );
    await page.screenshot({ path: join(artifactsDir, 'local-jupyterlab-file-menu.png') });
    // "Hub Control Panel" opens the hub's home in a new tab.
    const [panel] = await Promise.all([page.waitForEvent('popup'), controlPanel.click()]);
    await panel.waitForURL(/\/hub\/home$/);
    await panel.getByRole('button', { name: 'Stop server' }).waitFor();
    await panel.close();
    // "Log Out" goes through /user/admin/logout to the hub's sign-out, and signs out.
    await page.locator('.lm-MenuBar-itemLabel', { hasText: /^File$/ }).click();
    await logOut.click();
    await page.waitForURL(/\/hub\/login$/);
    await page.goto(`${ctx.hub.url}/hub/home`);
    assert.match(page.url(), /\/hub\/login/, 'signed out of the hub');
  });
});
