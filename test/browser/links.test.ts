/**
 * Links written for JupyterHub, in Chromium, from signed out to an open notebook: an
 * administrator makes the nbgitpuller link for a course repository (served over HTTP from
 * loopback by `git http-backend`), a student follows it signed out — sign-in, the start with
 * the environment choice, its progress, nbgitpuller's clone — and lands in JupyterLab on the
 * notebook; then a plain `/hub/user-redirect/lab/tree/…` link does the same for a file already
 * in the home.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { userLayout } from '../../src/backends/local/layout.ts';
import { artifactsDir, launchChromium } from '../helpers/chromium.ts';
import { notebook, startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.ts';
import { ADMIN_PASSWORD, startTestHub } from '../helpers/test-hub.ts';
import { checkPage } from './page-checks.ts';

describe('JupyterHub links in Chromium', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let browser: Browser;
  let git: GitHttpServer;
  let link = '';

  before(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    git = await startGitHttpServer({
      name: 'course',
      branch: 'main',
      files: { 'week1/intro.ipynb': notebook('hello from the course') },
    });
    // Two environments, so the links pass through the choice and continue after it.
    ctx = await startTestHub({
      config: {
        profiles: [
          { name: 'standard', displayName: 'Standard', default: true },
          { name: 'big', displayName: 'Big', description: 'More memory', memory: '8Gi' },
        ],
      },
    });
    await ctx.hub.auth.createUser('stu', 'student-password', false);
    browser = await launchChromium();
  });

  after(async () => {
    await browser.close();
    await ctx.hub.backend.stop({ user: 'stu', server: '' });
    await ctx.hub.close();
    await git.close();
  });

  async function signIn(page: Page, user: string, password: string) {
    await page.getByLabel('User name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** JupyterLab shows the notebook: its tab and the cell that prints `text`. */
  async function notebookOpen(page: Page, file: string, text: string) {
    await page.locator('.jp-NotebookPanel').first().waitFor({ timeout: 120_000 });
    await page.getByRole('tab', { name: file }).first().waitFor({ timeout: 60_000 });
    await page.locator('.jp-Cell').filter({ hasText: text }).first().waitFor({ timeout: 60_000 });
  }

  it('an administrator makes the link that opens the repository, and copies it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: ctx.hub.url,
    });
    const page = await context.newPage();
    await page.goto(`${ctx.hub.url}/hub/admin/links`);
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByLabel('Repository', { exact: true }).waitFor();
    await checkPage(page, 'links-form');
    await page.getByLabel('Repository', { exact: true }).fill(git.url);
    await page.getByLabel('Branch').fill('main');
    await page.getByLabel('File to open').fill('week1/intro.ipynb');
    await page.getByRole('button', { name: 'Make the link' }).click();
    link = await page.locator('#content-link').inputValue();
    const url = new URL(link);
    assert.equal(url.pathname, '/hub/user-redirect/git-pull');
    assert.equal(url.searchParams.get('urlpath'), 'lab/tree/course.git/week1/intro.ipynb');
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), link);
    await checkPage(page, 'links-made');
    await context.close();
  });

  it('a student follows it signed out and lands on the notebook, cloned into their home', async () => {
    assert.ok(link, 'the link from the previous test');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(link);
    assert.match(page.url(), /\/hub\/login\?next=/);
    await signIn(page, 'stu', 'student-password');
    // The environment choice (two are allowed), which continues to the link after Start.
    await page.waitForURL(/\/hub\/spawn\/stu\?next=/);
    await checkPage(page, 'links-choose');
    await page.getByRole('button', { name: 'Start' }).click();
    // The start's progress page, then nbgitpuller's page, then JupyterLab on the notebook.
    await page.waitForURL(/\/hub\/spawn-pending\/stu/, { timeout: 30_000 });
    await page.screenshot({ path: join(artifactsDir, 'links-pending.png') });
    await page.waitForURL(/\/user\/stu\/lab\/tree\/course\.git\/week1\/intro\.ipynb/, {
      timeout: 180_000,
    });
    await notebookOpen(page, 'intro.ipynb', 'hello from the course');
    await page.screenshot({ path: join(artifactsDir, 'links-notebook.png') });
    const cloned = join(userLayout(ctx.dataDir, 'stu').home, 'course.git', 'week1', 'intro.ipynb');
    assert.match(readFileSync(cloned, 'utf8'), /hello from the course/);
    await context.close();
  });

  it('a user-redirect link to a file in the home, signed out and server stopped', async () => {
    await ctx.hub.backend.stop({ user: 'stu', server: '' });
    const home = userLayout(ctx.dataDir, 'stu').home;
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'notes.ipynb'), notebook('my own notes'));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${ctx.hub.url}/hub/user-redirect/lab/tree/notes.ipynb`);
    assert.match(page.url(), /\/hub\/login\?next=/);
    await signIn(page, 'stu', 'student-password');
    await page.getByLabel('Big').check();
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/user\/stu\/lab\/tree\/notes\.ipynb/, { timeout: 180_000 });
    await notebookOpen(page, 'notes.ipynb', 'my own notes');
    await context.close();
  });
});
