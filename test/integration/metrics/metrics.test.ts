/**
 * /health, /ready and /metrics on a real hub (local backend, real Jupyter): the series exist,
 * need an admin, and move when a server is spawned and used through the proxy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, Browser, startTestHub } from '../../helpers/test-hub.ts';

/** The value of one sample, e.g. `ganymede_running_servers` or `x_total{code="200"}`; 0 if absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('hub metrics and probes', { timeout: 300_000 }, () => {
  let ctx: Awaited<ReturnType<typeof startTestHub>>;
  let admin: Browser;
  let alice: Browser;

  before(async () => {
    ctx = await startTestHub();
    admin = new Browser(ctx.hub.url);
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

  async function scrape(): Promise<string> {
    const res = await admin.fetch('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  }

  it('answers the probes at the top level', async () => {
    const health = await fetch(`${ctx.hub.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${ctx.hub.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      checks: { store: 'ok', backend: 'ok' },
    });
  });

  it('keeps /metrics for admins', async () => {
    assert.equal((await fetch(`${ctx.hub.url}/metrics`)).status, 401);
    assert.equal((await alice.fetch('/metrics')).status, 403);
    const text = await scrape();
    for (const name of [
      'ganymede_server_spawn_duration_seconds histogram',
      'ganymede_running_servers gauge',
      'ganymede_active_users gauge',
      'ganymede_proxy_requests_total counter',
      'ganymede_proxy_errors_total counter',
      'ganymede_culls_total counter',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name}$`, 'm'));
    }
    assert.equal(sample(text, 'ganymede_culls_total{reason="idle"}'), 0);
  });

  it('moves when a server is spawned and used', async () => {
    const spawned =
      'ganymede_server_spawn_duration_seconds_count{profile="standard",outcome="success"}';
    const before = await scrape();
    assert.equal(sample(before, 'ganymede_running_servers'), 0);

    // Before the start, the proxy answers 503 "not running": counted as a 5xx.
    assert.equal((await alice.fetch('/user/alice/api/status')).status, 503);
    await alice.startServer();
    for (let i = 0; i < 3; i++) {
      assert.equal((await alice.fetch('/user/alice/api/status')).status, 200);
    }

    const after = await scrape();
    assert.equal(sample(after, spawned) - sample(before, spawned), 1);
    assert.ok(
      sample(
        after,
        'ganymede_server_spawn_duration_seconds_sum{profile="standard",outcome="success"}',
      ) > 0,
    );
    assert.equal(sample(after, 'ganymede_running_servers'), 1);
    assert.equal(sample(after, 'ganymede_active_users'), 1);
    const ok = 'ganymede_proxy_requests_total{code="200"}';
    assert.equal(sample(after, ok) - sample(before, ok), 3);
    const down = 'ganymede_proxy_errors_total{code="503"}';
    assert.equal(sample(after, down) - sample(before, down), 1);
  });
});
