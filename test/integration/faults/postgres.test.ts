/**
 * PostgreSQL down for a minute under two hub replicas (issue 16, point 3), on the real control
 * plane (node agent, real Jupyter servers). Both replicas are real OS processes (`ganymede
 * serve`) sharing one PostgreSQL; the server process is stopped (`pg_ctl -m fast`: clients cut,
 * connections refused) and started again on the same port with the same data.
 *
 * - Open notebooks keep working through both replicas' proxies, with a session cookie and with
 *   an API token: the proxy's authorisation is answered from the credentials each replica last
 *   found valid (src/auth/auth-service.ts, OUTAGE_GRACE_MS), and both stay ready (`degraded`).
 * - Sign-in and starts fail at once with a plain 503 that says the database is not available,
 *   well within the timeout (none waits past it), and succeed once it is back, without a
 *   restart of either hub.
 * - Nothing half-written: no notebook for the refused start, and afterwards every open run
 *   has its notebook and every notebook asked to run has its open run.
 *
 * GANYMEDE_FAULT_PG_OUTAGE_SECONDS changes the outage; default 60.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resourceNameOf } from '../../../src/backends/kubernetes/notebook-request.ts';
import { openPostgresStore } from '../../../src/store/postgres-store.ts';
import { ADMIN_PASSWORD, Browser } from '../../helpers/test-hub.ts';
import { jupyterProfile } from '../kubernetes-backend/setup.ts';
import { HubProcess } from '../replicas/hub-process.ts';
import { startFaultCluster, type FaultSetup } from './setup.ts';

const outageMs = Number(process.env['GANYMEDE_FAULT_PG_OUTAGE_SECONDS'] ?? '60') * 1000;
/** The most any request may take during the outage (the store's connect timeout is 10 s). */
const REQUEST_BOUND_MS = 15_000;

interface Answer {
  readonly what: string;
  readonly status: number | string;
  readonly ms: number;
  readonly body?: string;
}

describe('PostgreSQL down for a while under two replicas', { timeout: 900_000 }, () => {
  let setup: FaultSetup | undefined;
  let dir: string;
  const hubs: HubProcess[] = [];

  async function startReplica(name: string): Promise<HubProcess> {
    assert.ok(setup);
    const hub = await HubProcess.start({
      name,
      dir,
      config: {
        hub: { host: '127.0.0.1', port: 0, dataDir: join(dir, name) },
        store: { url: setup.storeUrl },
        auth: { type: 'dummy' },
        backend: {
          type: 'kubernetes',
          kubernetes: {
            namespace: setup.namespace,
            kubeconfig: setup.cluster.kubeconfigPath,
            runOperator: true,
            startTimeoutSeconds: 240,
            leaderElection: { identity: name },
          },
        },
        profiles: [{ ...jupyterProfile, idleTimeoutMinutes: 0 }],
      },
      env: { GANYMEDE_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    hubs.push(hub);
    return hub;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ganymede-pg-fault-'));
    setup = await startFaultCluster('faults-pg');
    await startReplica('hub-a');
    await startReplica('hub-b');
  });

  after(async () => {
    await Promise.all(hubs.map((h) => h.kill()));
    await setup?.cluster.stop();
    await setup?.pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The same person (cookies) through another replica, as a load balancer would send them. */
  function via(person: Browser, hub: HubProcess): Browser {
    const other = new Browser(hub.url);
    for (const [k, v] of person.cookies) other.cookies.set(k, v);
    other.user = person.user;
    return other;
  }

  async function timed(
    what: string,
    request: () => Promise<Response>,
    keepBody = false,
  ): Promise<Answer> {
    const started = Date.now();
    try {
      const res = await request();
      const text = await res.text();
      return {
        what,
        status: res.status,
        ms: Date.now() - started,
        ...(keepBody || res.status >= 400 ? { body: text.slice(0, 8000) } : {}),
      };
    } catch (e) {
      return { what, status: e instanceof Error ? e.message : String(e), ms: Date.now() - started };
    }
  }

  it('open notebooks keep working, sign-in and starts fail plainly and work again after', async () => {
    assert.ok(setup);
    const { cluster, namespace, pg } = setup;
    const [a, b] = hubs as [HubProcess, HubProcess];

    // ada: signed in and running before the outage, with an API token too.
    const adaA = new Browser(a.url);
    await adaA.signIn('ada', 'any-password');
    await adaA.startServer();
    const adaB = via(adaA, b);
    const tokenRes = await adaA.fetch('/hub/api/users/ada/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-xsrftoken': await adaA.xsrf() },
      body: JSON.stringify({ note: 'outage test' }),
    });
    assert.equal(tokenRes.status, 201, await tokenRes.clone().text());
    const { token } = (await tokenRes.json()) as { token: string };
    const put = await adaA.fetch('/user/ada/api/contents/kept.txt', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'before the outage' }),
    });
    assert.ok([200, 201].includes(put.status), await put.text());
    // cy: signed in, no server yet; asks for one during the outage.
    const cy = new Browser(b.url);
    await cy.signIn('cy', 'any-password');
    const cyXsrf = await cy.xsrf();

    const notebookRequests = (hub: HubProcess, person: Browser): (() => Promise<Answer>)[] => [
      () => timed(`${hub.name} cookie status`, () => person.fetch('/user/ada/api/status')),
      () =>
        timed(`${hub.name} token contents`, () =>
          fetch(`${hub.url}/user/ada/api/contents/kept.txt`, {
            headers: { authorization: `token ${token}` },
          }),
        ),
    ];
    const requests = [...notebookRequests(a, adaA), ...notebookRequests(b, adaB)];
    // Each replica has seen both credentials valid (it remembers what it checked itself).
    for (const r of requests) assert.equal((await r()).status, 200);
    // Both ready, as the readiness probe (every 5 s in the chart) has seen them.
    for (const hub of [a, b]) assert.equal((await fetch(`${hub.url}/ready`)).status, 200);

    await pg.stopServer();
    const downAt = Date.now();
    const during: Answer[] = [];
    const refused: Answer[] = [];
    let probes = 0;
    while (Date.now() - downAt < outageMs) {
      for (const r of requests) during.push(await r());
      if (probes++ % 10 === 0) {
        refused.push(
          await timed(
            'sign-in',
            () =>
              new Browser(probes % 20 === 1 ? a.url : b.url).form('/hub/login', {
                username: 'bea',
                password: 'any-password',
              }),
            true,
          ),
          await timed('start (form)', () => cy.form('/hub/spawn', { _xsrf: cyXsrf }), true),
          await timed(
            'start (REST API)',
            () =>
              cy.fetch('/hub/api/users/cy/server', {
                method: 'POST',
                headers: { 'x-xsrftoken': cyXsrf },
              }),
            true,
          ),
        );
        for (const hub of [a, b]) {
          const ready = await timed(`${hub.name} /ready`, () => fetch(`${hub.url}/ready`), true);
          assert.equal(ready.status, 200, JSON.stringify(ready));
          assert.match(ready.body ?? '', /"store":"degraded"/);
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    await pg.startServer();
    const upAt = Date.now();

    const failed = during.filter((x) => x.status !== 200);
    assert.deepEqual(failed, [], `${String(failed.length)} of ${String(during.length)} failed`);
    assert.ok(during.length >= (outageMs / 1000) * 2, `${String(during.length)} requests`);
    for (const r of refused) {
      assert.equal(r.status, 503, JSON.stringify(r));
      assert.match(r.body ?? '', /database is not available/i, JSON.stringify(r));
      assert.ok(r.ms < REQUEST_BOUND_MS, JSON.stringify(r));
    }
    const slowest = Math.max(...[...during, ...refused].map((x) => x.ms));
    assert.ok(slowest < REQUEST_BOUND_MS, `slowest request ${String(slowest)} ms`);
    const cyNotebook = resourceNameOf({ user: 'cy', server: '' });
    const none = await cluster.kubectl(['get', 'jupyternotebook', '-n', namespace, cyNotebook]);
    assert.notEqual(none.code, 0, 'no notebook for a start the hub could not record');

    // Back: sign-in and a start work on the replicas as they are.
    let signedInAfterMs = Number.NaN;
    for (const hub of [a, b]) {
      const bea = new Browser(hub.url);
      for (let i = 0; ; i++) {
        const res = await bea.form('/hub/login', { username: 'bea', password: 'any-password' });
        await res.body?.cancel();
        if (res.status === 302) break;
        assert.ok(i < 60, `sign-in on ${hub.name} still ${String(res.status)} 30 s after`);
        await new Promise((r) => setTimeout(r, 500));
      }
      if (Number.isNaN(signedInAfterMs)) signedInAfterMs = Date.now() - upAt;
    }
    await cy.startServer();
    const cyStatus = await cy.fetch('/user/cy/api/status');
    assert.equal(cyStatus.status, 200, await cyStatus.text());
    const kept = await adaB.fetch('/user/ada/api/contents/kept.txt');
    assert.equal(((await kept.json()) as { content: string }).content, 'before the outage');

    // Nothing half-written: runs and notebooks agree.
    const store = await openPostgresStore(setup.storeUrl);
    try {
      const open = await store.openRuns(0, 1000);
      const users = new Map<number, string>();
      for (const run of open) {
        users.set(run.userId, (await store.getUserById(run.userId))?.name ?? '?');
      }
      const runFor = new Set(open.map((r) => users.get(r.userId)));
      assert.deepEqual([...runFor].sort(), ['ada', 'cy'], 'one open run per running server');
      const list = JSON.parse(
        (await cluster.kubectl(['get', 'jupyternotebooks', '-n', namespace, '-o', 'json'])).stdout,
      ) as {
        items: {
          metadata: { annotations?: Record<string, string> };
          spec: { stopped?: boolean };
        }[];
      };
      const asked = list.items
        .filter((n) => n.spec.stopped !== true)
        .map((n) => n.metadata.annotations?.['ganymede.dev/user'])
        .sort();
      assert.deepEqual(asked, ['ada', 'cy'], 'one notebook per open run');
    } finally {
      await store.close();
    }
    console.log(
      `database down ${String(Math.round((upAt - downAt) / 1000))} s; ${String(during.length)} proxied requests through 2 replicas, all 200 ` +
        `(slowest ${String(Math.max(...during.map((x) => x.ms)))} ms); ${String(refused.length)} sign-ins/starts refused with 503 ` +
        `(slowest ${String(Math.max(...refused.map((x) => x.ms)))} ms); sign-in worked again ${String(signedInAfterMs)} ms after it was back`,
    );
  });
});
