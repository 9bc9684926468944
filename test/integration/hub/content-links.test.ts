/**
 * Links written for JupyterHub, end to end on one machine: a real local-mode hub, real
 * Jupyter with nbgitpuller (scripts/requirements-jupyter.txt), and a git repository served over
 * smart HTTP from loopback by `git http-backend` (test/helpers/git-http-server.ts).
 *
 * A course page's nbgitpuller link, followed signed out, ends with the repository cloned into
 * the person's home and the notebook's JupyterLab URL answering; the same link later updates
 * the clone; a stopped server's bookmarked URL leads through a start back to that URL.
 * Every hop is asserted as the browser sees it (status and Location), not short-cut.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { userLayout } from '../../../src/backends/local/layout.ts';
import { notebook, startGitHttpServer, type GitHttpServer } from '../../helpers/git-http-server.ts';
import { Browser, startTestHub } from '../../helpers/test-hub.ts';

const location = (res: Response) => {
  const to = res.headers.get('location');
  assert.ok(to, `expected a redirect, got ${String(res.status)}`);
  return to;
};

/** Follows the start the pending page shows, as its script does, then asks the page again. */
async function waitReady(browser: Browser, user: string): Promise<void> {
  const events = await (await browser.fetch(`/hub/api/users/${user}/server/progress`)).text();
  assert.match(events, /"ready":true/, events);
}

describe(
  'links that work as in JupyterHub (real Jupyter, nbgitpuller, git over HTTP)',
  {
    timeout: 600_000,
  },
  () => {
    let ctx: Awaited<ReturnType<typeof startTestHub>>;
    let git: GitHttpServer;

    before(async () => {
      git = await startGitHttpServer({
        name: 'course',
        branch: 'main',
        files: { 'intro.ipynb': notebook('hello from the course'), 'README.md': '# Course\n' },
      });
      ctx = await startTestHub();
      await ctx.hub.auth.createUser('alice', 'alice-password', false);
    });

    after(async () => {
      await ctx.hub.backend.stop({ user: 'alice', server: '' });
      await ctx.hub.close();
      await git.close();
    });

    const pullQuery = () =>
      new URLSearchParams({
        repo: git.url,
        branch: 'main',
        urlpath: 'lab/tree/course.git/intro.ipynb',
      }).toString();

    it('an nbgitpuller link from signed out: sign in, start, clone into home, open the notebook', async () => {
      const alice = new Browser(ctx.hub.url);
      const link = `/hub/user-redirect/git-pull?${pullQuery()}`;

      // 1. Signed out: to the sign-in page, the whole link (its query too) kept as next.
      const login = new URL(location(await alice.navigate(link)), ctx.hub.url);
      assert.equal(login.pathname, '/hub/login');
      assert.equal(login.searchParams.get('next'), link);
      // 2. The sign-in form posts to /hub/login?next=… and comes back to the link.
      const signedIn = await alice.form(`/hub/login${login.search}`, {
        username: 'alice',
        password: 'alice-password',
      });
      assert.equal(location(signedIn), link);
      // 3. user-redirect → /hub/spawn/alice?next=/user/alice/git-pull?…
      const spawn = new URL(location(await alice.navigate(link)), ctx.hub.url);
      assert.equal(spawn.pathname, '/hub/spawn/alice');
      const next = `/user/alice/git-pull?${pullQuery()}`;
      assert.equal(spawn.searchParams.get('next'), next);
      // 4. One environment: the GET starts the server and shows its progress.
      const pending = location(await alice.navigate(spawn.pathname + spawn.search));
      assert.equal(pending, `/hub/spawn-pending/alice?next=${encodeURIComponent(next)}`);
      await waitReady(alice, 'alice');
      // 5. Ready: the pending page sends on to next.
      assert.equal(location(await alice.navigate(pending)), next);
      // 6. nbgitpuller's page (its script then calls the API below and opens urlpath).
      const page = await alice.navigate(next);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /git-pull/);
      assert.ok(html.includes('lab/tree/course.git/intro.ipynb'), 'the page carries urlpath');

      // 7. The pull, as the page's script asks for it (server-sent events through the proxy).
      const api = `/user/alice/git-pull/api?${new URLSearchParams({
        repo: git.url,
        branch: 'main',
        targetpath: 'course.git',
      }).toString()}`;
      const events = await (
        await alice.fetch(api, { headers: { accept: 'text/event-stream' } })
      ).text();
      assert.match(events, /"phase": ?"finished"/, events);

      // The file is in alice's home, and the notebook's URL opens in JupyterLab.
      const home = userLayout(ctx.dataDir, 'alice').home;
      const cloned = join(home, 'course.git', 'intro.ipynb');
      assert.ok(existsSync(cloned), `${cloned} exists`);
      assert.match(readFileSync(cloned, 'utf8'), /hello from the course/);
      const contents = await alice.fetch('/user/alice/api/contents/course.git/intro.ipynb');
      assert.equal(contents.status, 200);
      const lab = await alice.navigate('/user/alice/lab/tree/course.git/intro.ipynb');
      assert.equal(lab.status, 200);
      assert.match(await lab.text(), /JupyterLab/);
    });

    it('the same link later updates the clone, keeping the person’s own files', async () => {
      const alice = new Browser(ctx.hub.url);
      await alice.signIn('alice', 'alice-password');
      const home = userLayout(ctx.dataDir, 'alice').home;
      // The person's own work next to the course files.
      const mine = await alice.fetch('/user/alice/api/contents/course.git/mine.txt', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'file', format: 'text', content: 'my notes' }),
      });
      assert.equal(mine.status, 201);
      git.commit({ 'week2/exercise.ipynb': notebook('week two') }, 'Week 2');

      const api = `/user/alice/git-pull/api?${new URLSearchParams({
        repo: git.url,
        branch: 'main',
        targetpath: 'course.git',
      }).toString()}`;
      const events = await (
        await alice.fetch(api, { headers: { accept: 'text/event-stream' } })
      ).text();
      assert.match(events, /"phase": ?"finished"/, events);
      assert.match(
        readFileSync(join(home, 'course.git', 'week2', 'exercise.ipynb'), 'utf8'),
        /week two/,
      );
      assert.equal(readFileSync(join(home, 'course.git', 'mine.txt'), 'utf8'), 'my notes');
    });

    it('a stopped server’s URL: the page links to spawn with next, which starts it and lands there', async () => {
      const alice = new Browser(ctx.hub.url);
      await alice.signIn('alice', 'alice-password');
      await alice.form('/hub/stop', { _xsrf: await alice.xsrf() });
      const target = '/user/alice/lab/tree/course.git/intro.ipynb';

      const stopped = await alice.navigate(target);
      assert.equal(stopped.status, 503);
      const start = /id="start" href="([^"]+)"/
        .exec(await stopped.text())?.[1]
        ?.replaceAll('&amp;', '&');
      assert.equal(start, `/hub/spawn/alice?next=${encodeURIComponent(target)}`);
      const pending = location(await alice.navigate(start));
      assert.equal(pending, `/hub/spawn-pending/alice?next=${encodeURIComponent(target)}`);
      // Asked again while it starts (a reload): sent to follow the start, then back.
      const reload = await alice.navigate(target);
      assert.equal(reload.status, 303);
      assert.equal(location(reload), pending);
      await waitReady(alice, 'alice');
      assert.equal(location(await alice.navigate(pending)), target);
      assert.equal((await alice.navigate(target)).status, 200);
    });

    it('user-redirect of a plain path keeps its query and reaches the running server', async () => {
      const alice = new Browser(ctx.hub.url);
      await alice.signIn('alice', 'alice-password');
      const spawn = location(
        await alice.navigate('/hub/user-redirect/lab/tree/course.git/intro.ipynb?reset'),
      );
      const next = '/user/alice/lab/tree/course.git/intro.ipynb?reset';
      assert.equal(spawn, `/hub/spawn/alice?next=${encodeURIComponent(next)}`);
      // Running already: spawn goes straight to next.
      assert.equal(location(await alice.navigate(spawn)), next);
      assert.equal((await alice.navigate(next)).status, 200);
    });
  },
);
