/**
 * Named servers in Chromium against a real hub with real Jupyter: create one from the home
 * page (name + environment card), follow its start, land in ITS JupyterLab, see it listed
 * next to the default server, stop it and delete it keeping its files. Pages are
 * screenshotted at 1280 and 375 px and checked with axe-core.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, launchChromium } from '../helpers/chromium.ts';
import { startTestHub } from '../helpers/test-hub.ts';
import { checkPage } from './page-checks.ts';

describe('named servers in Chromium', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    ctx = await startTestHub({
      config: {
        servers: { maxPerUser: 2 },
        profiles: [
          { name: 'standard', displayName: 'Standard', default: true },
          { name: 'big', displayName: 'Big', description: 'More memory.', memory: '8Gi' },
        ],
      },
    });
    // The account is set-up, not what this file tests.
    await ctx.hub.auth.createUser('nora', 'nora-password', false);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${ctx.hub.url}/hub/login`);
    await page.getByLabel('User name').fill('nora');
    await page.getByLabel('Password').fill('nora-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Hello, nora' }).waitFor();
  });

  after(async () => {
    await browser.close();
    await ctx.hub.backend.stop({ user: 'nora', server: 'analysis' });
    await ctx.hub.close();
  });

  it('creates a named server with a chosen environment and opens its JupyterLab', async () => {
    await page.getByRole('link', { name: 'Create a server…' }).click();
    await page.getByRole('heading', { name: 'Create a server' }).waitFor();
    await checkPage(page, 'named-new-server');
    await page.getByLabel('Server name').fill('analysis');
    await page.getByRole('radio', { name: 'Big' }).check();
    await page.getByRole('button', { name: 'Create and start' }).click();
    await page.waitForURL(/spawn-pending\?server=analysis/);
    await page.getByRole('heading', { name: 'Starting your server analysis' }).waitFor();
    await page.waitForURL(/\/user\/nora\/analysis\/lab/, { timeout: 180_000 });
    await page.waitForFunction("document.title.includes('JupyterLab')", undefined, {
      timeout: 60_000,
    });
  });

  it('lists it next to the default server with its own actions, at the limit', async () => {
    await page.goto(`${ctx.hub.url}/hub/home`);
    const row = page.locator('#server-analysis');
    assert.equal(await row.locator('.pill').innerText(), 'Running');
    assert.match(await row.innerText(), /Big/);
    const open = page.getByRole('link', { name: 'Open analysis' });
    assert.equal(await open.getAttribute('href'), '/user/nora/analysis/lab');
    // The default server is untouched, and the limit (2) is reached.
    assert.equal(await page.getByRole('button', { name: 'Start my server' }).count(), 1);
    await page.getByText('You have 2 servers, the most allowed here.').waitFor();
    await checkPage(page, 'named-home-running');
  });

  it('stops it, then deletes it keeping its files', async () => {
    await page.getByRole('button', { name: 'Stop analysis' }).click();
    await page.getByText('The server was stopped. Its files are kept.').waitFor();
    assert.equal(await page.locator('#server-analysis .pill').innerText(), 'Stopped');
    const files = join(ctx.dataDir, 'users', 'nora', 'named', 'analysis');
    writeFileSync(join(files, 'results.csv'), '1,2\n');
    await page.locator('#server-analysis summary').click();
    const box = page.getByRole('checkbox', { name: /Also delete the files of analysis/ });
    assert.equal(await box.isChecked(), false, 'files are kept unless ticked');
    await checkPage(page, 'named-home-stopped');
    await page.getByRole('button', { name: 'Delete analysis' }).click();
    await page.getByText('The server was deleted. Its files are kept.').waitFor();
    assert.equal(await page.locator('#server-analysis').count(), 0);
    assert.equal(existsSync(join(files, 'results.csv')), true);
    await page.getByRole('link', { name: 'Create a server…' }).waitFor();
  });
});
