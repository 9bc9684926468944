/**
 * The admin console in Chromium against a real hub with real Jupyter: users (invite with a
 * one-time link used in a second browser, make admin, remove with files kept), groups and
 * environment access, all servers with stop all, and the usage chart. A non-admin gets 403.
 * Every page is screenshotted at 1280 and 375 px and checked with axe-core.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, launchChromium } from '../helpers/chromium.ts';
import { ADMIN_PASSWORD, Browser as HubClient, startTestHub } from '../helpers/test-hub.ts';
import { checkPage } from './page-checks.ts';

const profiles = [
  {
    name: 'standard',
    displayName: 'Standard',
    description: 'Python.',
    cpu: '1',
    memory: '2Gi',
    default: true,
  },
  {
    name: 'gpu',
    displayName: 'Deep learning',
    description: 'With a GPU.',
    cpu: '4',
    memory: '16Gi',
    gpu: 1,
  },
];

describe('the admin console in Chromium', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let browser: Browser;
  let page: Page;
  let inviteLink = '';

  before(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    ctx = await startTestHub({ config: { profiles } });
    await ctx.hub.auth.createUser('bob', 'bob-password', false);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${ctx.hub.url}/hub/login`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Hello, admin' }).waitFor();
  });

  after(async () => {
    await browser.close();
    await ctx.hub.backend.stop({ user: 'admin', server: '' });
    await ctx.hub.close();
  });

  it('invites a person with a one-time link they use to choose a password', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByLabel('User name').fill('Nia');
    await page.getByRole('button', { name: 'Add person' }).click();
    inviteLink = await page.getByLabel('One-time link (shown only now)').inputValue();
    assert.match(inviteLink, /\/hub\/invite\/[\w-]{40,}$/);
    await checkPage(page, 'admin-users');

    const other = await browser.newContext({ viewport: { width: 375, height: 740 } });
    const nia = await other.newPage();
    await nia.goto(inviteLink);
    await nia.getByRole('heading', { name: 'Welcome, nia' }).waitFor();
    await checkPage(nia, 'admin-invite');
    await nia.getByLabel('New password').fill('nia-password');
    await nia.getByLabel('The same password again').fill('nia-password');
    await nia.getByRole('button', { name: 'Set password and sign in' }).click();
    await nia.getByRole('heading', { name: 'Hello, nia' }).waitFor();
    // Not an administrator: the console answers 403 and the menu has no Admin entry.
    assert.equal(await nia.getByRole('link', { name: 'Admin' }).count(), 0);
    const res = await nia.goto(`${ctx.hub.url}/hub/admin/servers`);
    assert.equal(res?.status(), 403);
    await nia.goto(inviteLink);
    await nia.getByRole('heading', { name: 'This link is no longer valid' }).waitFor();
    await other.close();
  });

  it('limits an environment to a group', async () => {
    await page.getByRole('link', { name: 'Groups and access' }).click();
    await page.getByLabel('Group name').fill('physics');
    await page.getByLabel('Members (optional)').fill('nia');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('Created the group physics.').waitFor();
    const gpu = page.locator('form.access', { hasText: 'Deep learning' });
    await gpu.getByRole('checkbox', { name: 'physics' }).check();
    await gpu.getByRole('button', { name: 'Save access to Deep learning' }).click();
    await page.getByText('Saved who may use Deep learning.').waitFor();
    await checkPage(page, 'admin-groups');
    const bob = new HubClient(ctx.hub.url);
    await bob.signIn('bob', 'bob-password');
    assert.doesNotMatch(await (await bob.fetch('/hub/home')).text(), /Deep learning/);
    const refused = await bob.form('/hub/spawn', { _xsrf: await bob.xsrf(), profile: 'gpu' });
    assert.equal(refused.status, 403, 'enforced when starting, not only hidden');
  });

  it('makes and removes an admin, and removes a person keeping their files', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Make admin bob' }).click();
    await page.getByText('bob is now an administrator.').waitFor();
    await page.getByRole('button', { name: 'Remove admin from bob' }).click();
    await page.getByText('bob is no longer an administrator.').waitFor();

    const home = join(ctx.dataDir, 'users', 'bob', 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'thesis.ipynb'), '{}');
    await page.getByRole('link', { name: 'Remove bob' }).click();
    const box = page.getByRole('checkbox', { name: "Also delete bob's files" });
    assert.equal(await box.isChecked(), false, 'never by default');
    await checkPage(page, 'admin-remove');
    await page.getByRole('button', { name: 'Remove bob' }).click();
    await page.getByText('bob was removed.').waitFor();
    assert.ok(existsSync(join(home, 'thesis.ipynb')), 'files kept');
  });

  it('lists every server with its details, stops all, and charts usage', async () => {
    const admin = new HubClient(ctx.hub.url);
    await admin.signIn('admin', ADMIN_PASSWORD);
    await admin.startServer('standard');
    await page.getByRole('link', { name: 'Servers' }).click();
    const row = page.locator('tr', { hasText: 'admin' });
    assert.match(await row.innerText(), /Standard\s+running/);
    await checkPage(page, 'admin-servers');
    await page.locator('summary', { hasText: 'Stop all…' }).click();
    await page.getByRole('button', { name: 'Yes, stop all servers' }).click();
    await page.getByText('Stopped 1 server(s).').waitFor();
    assert.equal((await ctx.hub.backend.status({ user: 'admin', server: '' })).phase, 'stopped');

    await page.getByRole('link', { name: 'Usage' }).click();
    await page.locator('svg.chart rect').first().waitFor();
    assert.match(await page.locator('.legend').innerText(), /Standard: [\d.]+ (h|min), 1 server/);
    await checkPage(page, 'admin-usage');
  });
});
