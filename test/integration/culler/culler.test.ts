/**
 * The culler's one real run: a hub with real Jupyter and an idle timeout of a few seconds
 * (`culler.idleTimeoutSecondsOverride`, the documented test-only setting). An idle server is
 * stopped and its files are kept; a kernel busy in `time.sleep` keeps its server past the
 * timeout; a kernel WebSocket left open (a forgotten tab) does not keep it once idle.
 * Time here is real (Jupyter's own clock is): the test waits for culler rounds, not sleeps.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { userLayout } from '../../../src/backends/local/layout.ts';
import type { CullRound, ServerVerdict } from '../../../src/culler/culler.ts';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { ADMIN_PASSWORD, Browser, startTestHub } from '../../helpers/test-hub.ts';

const IDLE_SECONDS = 8;

describe('culler with real Jupyter', { timeout: 600_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let alice: Browser;

  before(async () => {
    ctx = await startTestHub({
      config: { culler: { intervalSeconds: 0.5, idleTimeoutSecondsOverride: IDLE_SECONDS } },
    });
    const admin = new Browser(ctx.hub.url);
    await admin.signIn('admin', ADMIN_PASSWORD);
    // Set-up, not under test here: the admin pages have tests of their own.
    await ctx.hub.auth.createUser('alice', 'alice-password', false);
    alice = new Browser(ctx.hub.url);
    await alice.signIn('alice', 'alice-password');
  });

  after(async () => {
    await ctx.hub.backend.stop({ user: 'alice', server: '' });
    await ctx.hub.close();
  });

  /** Alice's verdict in each culler round until `until` says stop (or two minutes pass). */
  async function roundsUntil(until: (v: ServerVerdict | undefined) => boolean) {
    const seen: (ServerVerdict | undefined)[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const round: CullRound = await ctx.hub.culler.nextRound();
      const verdict = round.verdicts.find((v) => v.ref.user === 'alice');
      seen.push(verdict);
      if (until(verdict)) return seen;
    }
    assert.fail(`condition not reached; verdicts: ${JSON.stringify(seen.slice(-5))}`);
  }

  /** What the hub says of alice's server: the backend's phase, history's message. */
  const aliceState = async () => {
    const user = await ctx.hub.store.getUser('alice');
    return ctx.hub.servers.state(user!, '');
  };

  it('stops an idle server after its timeout and keeps its files', async () => {
    await alice.startServer();
    const put = await alice.fetch('/user/alice/api/contents/keep.txt', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'still here' }),
    });
    assert.equal(put.status, 201, await put.text());
    const started = Date.now();

    const verdicts = await roundsUntil((v) => v?.decision.action === 'stop');
    const stop = verdicts.at(-1)!;
    assert.equal(stop.decision.reason, 'idle');
    assert.ok(stop.jupyter, 'decided with the server’s own status');
    assert.ok(Date.now() - started >= IDLE_SECONDS * 1000 - 1000, 'not before the timeout');
    assert.ok(
      verdicts.slice(0, -1).every((v) => v?.decision.action === 'keep'),
      'kept while within the timeout',
    );

    const state = await aliceState();
    assert.equal(state.phase, 'stopped');
    assert.match(state.message ?? '', /without activity\. Your files are kept\./);
    assert.equal((await ctx.hub.backend.status({ user: 'alice', server: '' })).phase, 'stopped');
    const file = join(userLayout(ctx.dataDir, 'alice').home, 'keep.txt');
    assert.ok(existsSync(file));
    assert.equal(readFileSync(file, 'utf8'), 'still here');
    assert.match(await ctx.hub.metrics.render(), /^ganymede_culls_total\{reason="idle"\} 1$/m);
    const home = await (await alice.fetch('/hub/home')).text();
    assert.match(home, /stopped after 8 seconds without activity\. Your files are kept\./);
  });

  it('keeps a server whose kernel is busy past the timeout; an open tab alone does not', async () => {
    await alice.startServer();
    const kept = await alice.fetch('/user/alice/api/contents/keep.txt');
    assert.equal(kept.status, 200);
    assert.equal(((await kept.json()) as { content: string }).content, 'still here');

    const kernel = await alice.fetch('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'python3' }),
    });
    assert.equal(kernel.status, 201, await kernel.clone().text());
    const kernelId = ((await kernel.json()) as { id: string }).id;
    const channels = `${ctx.hub.url.replace('http', 'ws')}/user/alice/api/kernels/${kernelId}/channels`;
    const headers = { cookie: alice.cookieHeader, origin: ctx.hub.url };

    // The forgotten tab: a kernel connection that stays open and says nothing.
    const tab = new WebSocket(channels, { headers });
    await new Promise((resolve, reject) => {
      tab.once('open', resolve);
      tab.once('error', reject);
    });

    const sleepSeconds = IDLE_SECONDS * 2 + 4;
    let finished = false;
    const execution = executeOverWebSocket(
      channels,
      `import time\ntime.sleep(${sleepSeconds})\n'done'`,
      headers,
      (sleepSeconds + 60) * 1000,
    ).finally(() => {
      finished = true;
    });
    const whileBusy = await roundsUntil((v) => finished || v?.decision.action === 'stop');
    assert.equal(await execution, "'done'", 'the computation ran to its end');
    assert.ok(
      whileBusy.every((v) => v?.decision.action === 'keep'),
      `never stopped while busy: ${JSON.stringify(whileBusy.map((v) => v?.decision))}`,
    );
    assert.ok(
      whileBusy.some(
        (v) => v?.decision.reason === 'busy' && v.decision.idleMs >= IDLE_SECONDS * 1000,
      ),
      'kept only because busy, past the idle timeout',
    );
    assert.equal((await aliceState()).phase, 'running');

    // Idle again with the tab still open: culled anyway (countOpenConnections: false).
    assert.equal(tab.readyState, WebSocket.OPEN);
    const afterwards = await roundsUntil((v) => v?.decision.action === 'stop');
    const stop = afterwards.at(-1)!;
    assert.equal(stop.decision.reason, 'idle');
    assert.ok((stop.jupyter?.connections ?? 0) >= 1, 'the tab was still connected');
    assert.equal((await aliceState()).phase, 'stopped');
    tab.terminate();
  });
});
