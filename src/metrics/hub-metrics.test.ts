import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeBackend } from '../backends/fake/fake-backend.ts';
import { parseConfig } from '../config/load.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createHubMetrics } from './hub-metrics.ts';
import { carriesScrapeToken, metricsAccess } from './metrics-access.ts';

const now = new Date('2026-01-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

/** The value of one sample line, e.g. `ganymede_culls_total{reason="idle"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function setup() {
  const store = openSqliteStore(':memory:');
  const backend = createFakeBackend();
  const metrics = createHubMetrics({ store, backend, now: () => now, processMetrics: false });
  const profile = parseConfig({}).profiles[0];
  assert.ok(profile);
  /** A server the backend runs (or not), with its last activity in the store. */
  const server = async (user: string, name: string, running: boolean, lastActivity: Date) => {
    const u =
      (await store.getUser(user)) ??
      (await store.createUser({ name: user, admin: false, passwordHash: null }));
    await store.createServer({ userId: u.id, name, profile: 'standard', createdAt: now }, 10);
    await store.recordActivity(u.id, name, lastActivity);
    if (running)
      await backend.start({ user, server: name }, { profile, baseUrl: `/user/${user}/` });
  };
  return { store, metrics, server };
}

describe('hub metrics', () => {
  it('counts running servers from the backend, and their users active in the last hour', async () => {
    const { metrics, server } = setup();
    await server('alice', '', true, minutesAgo(5));
    await server('alice', 'old', false, minutesAgo(1));
    await server('bob', '', true, minutesAgo(61));
    await server('carol', '', false, minutesAgo(59));
    await server('dave', '', true, minutesAgo(30));
    await server('dave', 'two', true, minutesAgo(90));
    const text = await metrics.render();
    assert.equal(sample(text, 'ganymede_running_servers'), 4);
    assert.equal(
      sample(text, 'ganymede_active_users'),
      2,
      'alice and dave once each; not bob (idle), not carol (nothing running)',
    );
  });

  it('records spawn durations by profile and outcome', async () => {
    const { metrics } = setup();
    metrics.observeSpawn('standard', 'success', 3);
    metrics.observeSpawn('standard', 'success', 7);
    metrics.observeSpawn('gpu', 'failure', 0.2);
    const text = await metrics.render();
    const std = 'profile="standard",outcome="success"';
    assert.equal(sample(text, `ganymede_server_spawn_duration_seconds_count{${std}}`), 2);
    assert.equal(sample(text, `ganymede_server_spawn_duration_seconds_sum{${std}}`), 10);
    assert.equal(sample(text, `ganymede_server_spawn_duration_seconds_bucket{le="5",${std}}`), 1);
    assert.equal(
      sample(text, 'ganymede_server_spawn_duration_seconds_count{profile="gpu",outcome="failure"}'),
      1,
    );
  });

  it('counts proxy responses by code, and 5xx as errors', async () => {
    const { metrics } = setup();
    for (const code of [200, 200, 302, 502, 503]) metrics.proxyResponse(code);
    const text = await metrics.render();
    assert.equal(sample(text, 'ganymede_proxy_requests_total{code="200"}'), 2);
    assert.equal(sample(text, 'ganymede_proxy_requests_total{code="502"}'), 1);
    assert.equal(sample(text, 'ganymede_proxy_errors_total{code="502"}'), 1);
    assert.equal(sample(text, 'ganymede_proxy_errors_total{code="503"}'), 1);
    assert.equal(sample(text, 'ganymede_proxy_errors_total{code="200"}'), undefined);
  });

  it('shows culls by reason, from zero', async () => {
    const { metrics } = setup();
    let text = await metrics.render();
    assert.equal(sample(text, 'ganymede_culls_total{reason="idle"}'), 0);
    metrics.cull('idle');
    metrics.cull('max-age');
    metrics.cull('idle');
    text = await metrics.render();
    assert.equal(sample(text, 'ganymede_culls_total{reason="idle"}'), 2);
    assert.equal(sample(text, 'ganymede_culls_total{reason="max-age"}'), 1);
  });

  it('keeps two hubs apart and includes process metrics when asked', async () => {
    const store = openSqliteStore(':memory:');
    const backend = createFakeBackend();
    const a = createHubMetrics({ store, backend, processMetrics: true });
    const b = createHubMetrics({ store, backend, processMetrics: false });
    a.cull('idle');
    assert.equal(sample(await b.render(), 'ganymede_culls_total{reason="idle"}'), 0);
    assert.match(await a.render(), /^process_cpu_user_seconds_total /m);
    assert.doesNotMatch(await b.render(), /process_cpu_user_seconds_total/);
    assert.match(a.contentType, /^text\/plain; version=0\.0\.4/);
  });
});

describe('metricsAccess', () => {
  it('admins only by default; everyone when public', () => {
    assert.equal(metricsAccess(undefined, false), 'unauthenticated');
    assert.equal(metricsAccess({ admin: false }, false), 'forbidden');
    assert.equal(metricsAccess({ admin: true }, false), 'allow');
    assert.equal(metricsAccess(undefined, true), 'allow');
  });
});

describe('carriesScrapeToken', () => {
  const req = (authorization?: string) => ({
    headers: authorization === undefined ? {} : { authorization },
  });
  it('opens /metrics for the configured token only, as Bearer or token', () => {
    assert.equal(carriesScrapeToken(req('Bearer s3cret-token'), 's3cret-token'), true);
    assert.equal(carriesScrapeToken(req('token s3cret-token'), 's3cret-token'), true);
    assert.equal(carriesScrapeToken(req('Bearer s3cret-tokeN'), 's3cret-token'), false);
    assert.equal(carriesScrapeToken(req('Bearer s3cret'), 's3cret-token'), false);
    assert.equal(carriesScrapeToken(req(), 's3cret-token'), false);
    assert.equal(carriesScrapeToken(req('Bearer '), ''), false, 'no token configured');
    assert.equal(carriesScrapeToken(req('Bearer x'), undefined), false);
  });
});
