/**
 * The portal in Chromium against a real hub with real Jupyter: sign in, choose an
 * environment card, follow the start (steps, estimate), land in JupyterLab, stop; cancel a
 * start that hangs; a start that fails told in plain words with the detail folded away; API
 * tokens shown once and revoked. Every page is screenshotted at 1280 and 375 px and checked
 * with axe-core. Keyboard only where a person would use it (cards and buttons).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, launchChromium } from '../helpers/chromium.ts';
import { startTestHub } from '../helpers/test-hub.ts';
import { checkPage } from './page-checks.ts';

const profiles = [
  {
    name: 'standard',
    displayName: 'Standard',
    description: 'Python with JupyterLab. Good for most work.',
    cpu: '1',
    memory: '2Gi',
    default: true,
  },
  {
    name: 'gpu',
    displayName: 'Deep learning',
    description: 'PyTorch with one GPU, for training models.',
    cpu: '4',
    memory: '16Gi',
    gpu: 1,
    // Never answers: a start that takes too long, to cancel.
    command: ['bash', '-c', 'sleep 300'],
  },
  {
    name: 'broken',
    displayName: 'Broken <b>image</b>',
    description: 'An environment whose server exits at once.',
    command: ['bash', '-c', 'echo "ModuleNotFoundError: No module named jupyterlab" >&2; exit 3'],
  },
];

describe('the portal in Chromium', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    ctx = await startTestHub({ config: { profiles } });
    await ctx.hub.auth.createUser('maria', 'maria-password', false);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser.close();
    await ctx.hub.backend.stop({ user: 'maria', server: '' });
    await ctx.hub.close();
  });

  it('signs in with the keyboard alone', async () => {
    await page.goto(`${ctx.hub.url}/hub/home`);
    assert.match(page.url(), /\/hub\/login/);
    await checkPage(page, 'portal-sign-in');
    // The user-name field has the focus when the page opens.
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'username');
    await page.keyboard.type('maria');
    await page.keyboard.press('Tab');
    await page.keyboard.type('maria-password');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Hello, maria' }).waitFor();
  });

  it('shows environments as cards with size and GPU, chosen with radio inputs', async () => {
    await checkPage(page, 'portal-home-stopped');
    const cards = page.getByRole('radiogroup').or(page.locator('fieldset.environments'));
    await cards.first().waitFor();
    const standard = page.getByRole('radio', { name: 'Standard' });
    assert.equal(await standard.isChecked(), true, 'the default is chosen');
    const gpuCard = page.locator('label.env-card', { hasText: 'Deep learning' });
    assert.match(await gpuCard.innerText(), /4 CPUs · 16 GB memory/);
    assert.match(await gpuCard.innerText(), /GPU included/);
    assert.match(
      await page.locator('label.env-card', { hasText: 'Standard' }).innerText(),
      /No GPU/,
    );
    // Arrow keys move between radio inputs, as in any radio group.
    await standard.focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('radio', { name: 'Deep learning' }).isChecked(), true);
    await page.keyboard.press('ArrowLeft');
    assert.equal(await standard.isChecked(), true);
    // The display name is text, not markup.
    assert.equal(await page.locator('b', { hasText: 'image' }).count(), 0);
    assert.equal(await page.getByText('Broken <b>image</b>').count(), 1);
  });

  it('starts with plain-language steps, lands in JupyterLab, and stops', async () => {
    await page.getByRole('button', { name: 'Start my server' }).click();
    await page.waitForURL(/spawn-pending/);
    await page.locator('#steps li').first().waitFor();
    assert.match(
      await page.locator('#estimate').innerText(),
      /first start of this environment/,
      'no estimate before any start',
    );
    await page.getByRole('button', { name: 'Cancel the start' }).waitFor();
    await page.screenshot({ path: `${artifactsDir}/portal-starting-1280.png` });
    await page.waitForURL(/\/user\/maria\/lab/, { timeout: 180_000 });
    // JupyterLab's own page came through the proxy (its launcher can take minutes to draw on
    // a loaded machine; local-mode.test.ts waits for that).
    await page.waitForFunction("document.title.includes('JupyterLab')", undefined, {
      timeout: 60_000,
    });

    await page.goto(`${ctx.hub.url}/hub/home`);
    assert.equal(await page.locator('.pill').innerText(), 'Running');
    const open = page.getByRole('link', { name: 'Open JupyterLab' });
    assert.equal(await open.getAttribute('href'), '/user/maria/lab');
    await checkPage(page, 'portal-home-running');
    await page.getByRole('button', { name: 'Stop server' }).click();
    await page.getByText('Your server was stopped. Your files are kept.').waitFor();
    assert.equal(await page.locator('.pill').innerText(), 'Stopped');
  });

  it('estimates the next start of that environment from the last one', async () => {
    await page.getByRole('button', { name: 'Start my server' }).click();
    await page.waitForURL(/spawn-pending/);
    assert.match(await page.locator('#estimate').innerText(), /This usually takes about \d+/);
    await checkPage(page, 'portal-starting');
    await page.waitForURL(/\/user\/maria\/lab/, { timeout: 180_000 });
    await page.goto(`${ctx.hub.url}/hub/home`);
    await page.getByRole('button', { name: 'Stop server' }).click();
    await page.getByText('Your server was stopped').waitFor();
  });

  it('cancels a start that takes too long', async () => {
    await page.getByRole('radio', { name: 'Deep learning' }).check();
    await page.getByRole('button', { name: 'Start my server' }).click();
    await page.waitForURL(/spawn-pending/);
    await page.locator('#steps li.step', { hasText: 'Waiting for Jupyter' }).waitFor();
    await page.getByRole('button', { name: 'Cancel the start' }).click();
    await page.getByText('The start was cancelled. Your files are kept.').waitFor();
    assert.equal(await page.locator('.pill').innerText(), 'Stopped');
    const status = await ctx.hub.backend.status({ user: 'maria', server: '' });
    assert.equal(status.phase, 'stopped', 'the process is gone, not just the page');
  });

  it('tells a failed start in plain words, with what to try and the detail folded away', async () => {
    await page.getByRole('radio', { name: /Broken/ }).check();
    await page.getByRole('button', { name: 'Start my server' }).click();
    const failure = page.locator('#failure');
    await failure.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await failure.innerText(), /Your server could not start/);
    assert.match(await failure.innerText(), /stopped while starting/);
    assert.match(await failure.innerText(), /What you can try/);
    const details = page.locator('#failure-detail');
    assert.equal(await details.getAttribute('open'), null, 'folded away');
    await details.locator('summary').click();
    assert.match(await details.locator('pre').innerText(), /ModuleNotFoundError/);
    assert.equal(await page.locator('#cancel-form').isVisible(), false);
    await checkPage(page, 'portal-start-failed');

    await page.getByRole('link', { name: 'Back to the start page' }).click();
    const alert = page.getByRole('alert');
    assert.match(await alert.innerText(), /could not start/);
    assert.equal(await page.locator('.pill').innerText(), 'Could not start');
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await checkPage(page, 'portal-home-failed');
  });

  it('creates an API token shown once, which works until it is revoked', async () => {
    await page.getByRole('link', { name: 'API tokens' }).click();
    await checkPage(page, 'portal-tokens-empty');
    await page.getByLabel('What is it for?').fill('<img src=x> sync script');
    await page.getByLabel('Expires after').selectOption({ label: '7 days' });
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = await page.getByLabel('Token', { exact: true }).inputValue();
    assert.match(token, /^[\w-]{40,}$/);
    await checkPage(page, 'portal-tokens-created');
    assert.equal(await page.locator('img').count(), 0, 'the note is text, not markup');

    const api = (t: string) =>
      fetch(`${ctx.hub.url}/hub/api/user`, { headers: { authorization: `token ${t}` } });
    const res = await api(token);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { name: string }).name, 'maria');

    // Opened again (not reloaded: that would post the form a second time).
    await page.goto(`${ctx.hub.url}/hub/token`);
    assert.equal(await page.getByLabel('Token', { exact: true }).count(), 0, 'shown only once');
    await page.getByRole('button', { name: 'Revoke <img src=x> sync script' }).click();
    await page.getByText('The token was revoked').waitFor();
    assert.equal((await api(token)).status, 403);
  });
});
