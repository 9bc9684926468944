/**
 * Several hub replicas, proven: separate `ganymede serve` processes against one PostgreSQL
 * and one test control plane (real Jupyter servers run by the node agent), each running the
 * in-hub operator and culler behind one Lease. Replicas share nothing but the database and
 * the cluster: sessions live in the database, routes are derived from the cluster.
 *
 * - a notebook started through replica A is used through replica B with the same cookie;
 * - the operator and the culler act in exactly one replica (the Lease holder);
 * - SIGKILL of a replica leaves kernel WebSockets through the other one answering;
 * - SIGKILL of the replica that spawns (and leads) in the middle of a spawn: the spawn
 *   completes through a survivor, or ends with a clear message and succeeds when retried.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { ADMIN_PASSWORD, Browser } from '../../helpers/test-hub.ts';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import {
  getJson,
  installCrd,
  jupyterProfile,
  missingImageProfile,
  restrictedNamespace,
  watchFor,
} from '../kubernetes-backend/setup.ts';
import { HubProcess } from './hub-process.ts';
import { KernelSession } from './kernel-session.ts';

const LEASE = 'ganymede-hub';

describe('two hub replicas on one PostgreSQL and one cluster', { timeout: 1_500_000 }, () => {
  let cluster: TestCluster;
  let pg: TestPostgres;
  let ns: string;
  let dir: string;
  let dbUrl: string;
  const replicas: HubProcess[] = [];
  const sessions: KernelSession[] = [];

  function configFor(identity: string): Record<string, unknown> {
    return {
      hub: { host: '127.0.0.1', port: 0, dataDir: join(dir, identity) },
      store: { url: dbUrl },
      backend: {
        type: 'kubernetes',
        kubernetes: {
          namespace: ns,
          kubeconfig: cluster.kubeconfigPath,
          runOperator: true,
          startTimeoutSeconds: 240,
          // Shorter than the defaults (15/10/2 s) so a killed leader is replaced sooner, yet
          // a renew deadline that survives this shared machine's load (often 20+).
          leaderElection: {
            leaseName: LEASE,
            identity,
            leaseDurationSeconds: 10,
            renewDeadlineSeconds: 8,
            retryPeriodSeconds: 1,
          },
        },
      },
      culler: { intervalSeconds: 1, idleTimeoutSecondsOverride: 5 },
      profiles: [
        // Never culled: the servers the kill tests use.
        { ...jupyterProfile, idleTimeoutMinutes: 0 },
        {
          ...jupyterProfile,
          name: 'short',
          displayName: 'Short',
          default: false,
          idleTimeoutMinutes: 1,
        },
        { ...missingImageProfile, idleTimeoutMinutes: 0 },
      ],
    };
  }

  async function startReplica(identity: string): Promise<HubProcess> {
    const replica = await HubProcess.start({
      name: identity,
      dir,
      config: configFor(identity),
      env: { GANYMEDE_ADMIN_PASSWORD: ADMIN_PASSWORD, GANYMEDE_LOG_LEVEL: 'debug' },
    });
    replicas.push(replica);
    return replica;
  }

  async function leaseHolder(): Promise<string> {
    const lease = await getJson<{ spec: { holderIdentity?: string } }>(cluster, [
      'get',
      'lease',
      '-n',
      ns,
      LEASE,
    ]).catch(() => undefined);
    return lease?.spec.holderIdentity ?? '';
  }

  /** Waits (bounded, generous: the machine is shared) until `check` holds. */
  async function eventually<T>(
    what: string,
    check: () => Promise<T | undefined> | T | undefined,
    timeoutMs = 120_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const value = await check();
        if (value !== undefined && value !== false) return value;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The same person, through another replica: the cookie jar copied, nothing else. */
  function sameSessionOn(browser: Browser, replica: HubProcess): Browser {
    const other = new Browser(replica.url);
    for (const [k, v] of browser.cookies) other.cookies.set(k, v);
    other.user = browser.user;
    return other;
  }

  async function openKernel(browser: Browser, user: string): Promise<KernelSession> {
    const kernel = await browser.fetch(`/user/${user}/api/kernels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'python3' }),
    });
    assert.equal(kernel.status, 201, await kernel.clone().text());
    const id = ((await kernel.json()) as { id: string }).id;
    const session = await KernelSession.open(
      `${browser.base.replace('http', 'ws')}/user/${user}/api/kernels/${id}/channels`,
      { cookie: browser.cookieHeader, origin: browser.base },
    );
    sessions.push(session);
    return session;
  }

  async function progressOf(browser: Browser, user: string): Promise<string> {
    return (await browser.fetch(`/hub/api/users/${user}/server/progress`)).text();
  }

  let a: HubProcess;
  let b: HubProcess;
  let admin: Browser;
  let adminOnB: Browser;
  let sessionOnB: KernelSession;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ganymede-replicas-'));
    [cluster, pg] = await Promise.all([startCluster(), startPostgres()]);
    dbUrl = await pg.createDatabase();
    await installCrd(cluster);
    ns = await restrictedNamespace(cluster, 'rep');
    // A first: it creates the admin account and the schema, and takes the Lease.
    a = await startReplica('replica-a');
    await eventually(
      'replica-a to hold the Lease',
      async () => (await leaseHolder()) === 'replica-a',
    );
    b = await startReplica('replica-b');
  });

  after(async () => {
    for (const s of sessions) s.close();
    for (const r of replicas) await r.kill();
    await cluster.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a notebook started through A is used through B with the same session cookie', async () => {
    admin = new Browser(a.url);
    await admin.signIn('admin', ADMIN_PASSWORD);
    const xsrf = await admin.xsrf();
    for (const name of ['carol', 'dave']) {
      const res = await admin.form('/hub/admin/users', {
        _xsrf: xsrf,
        name,
        access: 'password',
        password: `${name}-password`,
      });
      assert.ok([201, 302].includes(res.status), await res.text());
    }
    await admin.startServer();

    adminOnB = sameSessionOn(admin, b);
    const me = (await (await adminOnB.fetch('/hub/api/user')).json()) as { name: string };
    assert.equal(me.name, 'admin', 'B knows the session A opened');
    sessionOnB = await openKernel(adminOnB, 'admin');
    assert.equal(await sessionOnB.execute('1+1'), '2');
  });

  it('the operator and the culler act in exactly one replica: the Lease holder', async () => {
    assert.equal(await leaseHolder(), 'replica-a');
    // B spawned nothing yet; start carol's short-lived server through B: A's operator makes it.
    const carol = new Browser(b.url);
    await carol.signIn('carol', 'carol-password');
    await carol.startServer('short');
    const lease = await getJson<{ spec: { leaseTransitions?: number } }>(cluster, [
      'get',
      'lease',
      '-n',
      ns,
      LEASE,
    ]);
    assert.equal(lease.spec.leaseTransitions ?? 0, 0, 'A has held the Lease throughout');
    assert.equal(a.lines('operator reconciling').length, 1, 'A runs the operator');
    assert.ok(a.lines('reconciled').length > 0, 'A reconciles');
    assert.deepEqual(b.lines('operator reconciling'), [], 'B never started its operator');
    assert.deepEqual(b.lines('reconciled'), [], 'B reconciled nothing');

    // carol's profile is idle after 5 s (idleTimeoutSecondsOverride): one replica culls it.
    await eventually('carol culled', async () => {
      const res = await carol.fetch('/hub/api/users/carol');
      const user = (await res.json()) as { servers: Record<string, { ready: boolean }> };
      const server = user.servers[''];
      return !server?.ready ? true : undefined;
    });
    assert.equal(a.lines('culling server').length, 1, 'A culled once');
    assert.deepEqual(b.lines('culling server'), [], 'B culled nothing');
    assert.equal(b.lines('hub listening').length, 1);
  });

  it('SIGKILL of A while a kernel WebSocket is open through B: the kernel keeps answering', async (t) => {
    await a.kill();
    const killedAt = Date.now();
    const cellStarted = Date.now();
    assert.equal(await sessionOnB.execute('2+3'), '5');
    const cellMs = Date.now() - cellStarted;
    // B takes the Lease once A's runs out, and starts reconciling.
    await eventually(
      'replica-b to hold the Lease',
      async () => (await leaseHolder()) === 'replica-b',
    );
    const takeoverMs = Date.now() - killedAt;
    await eventually('B to run the operator', () => b.lines('operator reconciling').length === 1);
    t.diagnostic(
      `cell through B right after the kill: ${cellMs} ms; Lease held by B ${takeoverMs} ms after the SIGKILL (leaseDurationSeconds 10)`,
    );
    assert.ok(sessionOnB.isOpen);
    assert.equal(await sessionOnB.execute('6*7'), '42');
  });

  /** Waits (through a watch) until the user's JupyterNotebook exists; returns its phase. */
  async function notebookAppears(user: string): Promise<string> {
    const nb = await watchFor<{
      metadata: { annotations?: Record<string, string> };
      status?: { phase?: string };
    }>(
      cluster,
      `/apis/ganymede.dev/v1alpha1/namespaces/${ns}/jupyternotebooks`,
      (n, type) => type !== 'DELETED' && n.metadata.annotations?.['ganymede.dev/user'] === user,
      { what: `${user}'s notebook`, timeoutMs: 120_000 },
    );
    return nb.status?.phase ?? '(no status yet)';
  }

  async function notebooksOf(user: string): Promise<number> {
    const notebooks = await getJson<{
      items: { metadata: { annotations?: Record<string, string> } }[];
    }>(cluster, ['get', 'jnb', '-n', ns]);
    return notebooks.items.filter((n) => n.metadata.annotations?.['ganymede.dev/user'] === user)
      .length;
  }

  let a2: HubProcess;
  let adminOnA2: Browser;

  it('SIGKILL of the replica that spawns and leads, mid-spawn: the spawn completes through the survivor', async (t) => {
    a2 = await startReplica('replica-a2');
    // A WebSocket through the replica that survives, while the other one is killed.
    adminOnA2 = sameSessionOn(admin, a2);
    const sessionOnA2 = await openKernel(adminOnA2, 'admin');
    assert.equal(await sessionOnA2.execute('1+2'), '3');

    const dave = new Browser(b.url);
    await dave.signIn('dave', 'dave-password');
    const spawn = await dave.form('/hub/spawn', { _xsrf: await dave.xsrf() });
    assert.equal(spawn.status, 302, await spawn.text());
    // Killed once the request reached the cluster and before the server is ready: B both
    // spawned this server and held the Lease (ran the operator).
    const phaseAtKill = await notebookAppears('dave');
    await b.kill();
    const killedAt = Date.now();
    assert.notEqual(phaseAtKill, 'Running', 'killed in the middle of the spawn');

    assert.equal(await sessionOnA2.execute('10-3'), '7', 'A2 carries on');
    const daveOnA2 = sameSessionOn(dave, a2);
    const events = await progressOf(daveOnA2, 'dave');
    assert.match(events, /"ready":true/, events);
    const readyAfterMs = Date.now() - killedAt;
    // The pod may be ready before the Lease moves (B's operator had already applied the
    // objects); the survivor takes over the operator and culler all the same.
    await eventually(
      'replica-a2 to hold the Lease',
      async () => (await leaseHolder()) === 'replica-a2',
    );
    t.diagnostic(`phase at kill: ${phaseAtKill}; ready ${readyAfterMs} ms after the SIGKILL`);
    const daveSession = await openKernel(daveOnA2, 'dave');
    assert.equal(await daveSession.execute('1+1'), '2');
    assert.equal(await notebooksOf('dave'), 1, 'exactly one notebook for dave');
    const me = (await (await daveOnA2.fetch('/hub/api/users/dave')).json()) as {
      servers: Record<string, { ready: boolean }>;
    };
    assert.equal(me.servers['']?.ready, true, 'the hub reports it ready');
  });

  it('SIGKILL of a replica mid-spawn of a failing start: a clear error through the survivor, and a retry works', async () => {
    const c = await startReplica('replica-c');
    const erin = new Browser(c.url);
    const res = await adminOnA2.form('/hub/admin/users', {
      _xsrf: await adminOnA2.xsrf(),
      name: 'erin',
      access: 'password',
      password: 'erin-password',
    });
    assert.ok([201, 302].includes(res.status), await res.text());
    await erin.signIn('erin', 'erin-password');
    const spawn = await erin.form('/hub/spawn', { _xsrf: await erin.xsrf(), profile: 'ghost' });
    assert.equal(spawn.status, 302, await spawn.text());
    await notebookAppears('erin');
    await c.kill();

    const erinOnA2 = sameSessionOn(erin, a2);
    const failed = await progressOf(erinOnA2, 'erin');
    assert.match(failed, /"failed":true/, failed);
    assert.match(
      failed,
      /The environment image \\"registry\.example\.org\/nobody\/nothing:1\\" could not be downloaded/,
    );
    const retry = await erinOnA2.form('/hub/spawn', { _xsrf: await erinOnA2.xsrf() });
    assert.equal(retry.status, 302);
    const events = await progressOf(erinOnA2, 'erin');
    assert.match(events, /"ready":true/, events);
    const session = await openKernel(erinOnA2, 'erin');
    assert.equal(await session.execute('1+1'), '2');
    assert.equal(await notebooksOf('erin'), 1);
  });
});
