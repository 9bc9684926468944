/**
 * The hub SIGKILLed at every step of a start and of a stop (issue 16, point 5), on the real
 * control plane (node agent: real Jupyter servers) with real PostgreSQL. The hub is a real OS
 * process (`ganymede serve`), so the kill leaves no `finally` behind; a new process with the
 * same configuration then starts and must converge without anyone's help:
 *
 * - the server ends as the person asked (running after a start, stopped after a stop);
 * - at most one pod for it, and no Deployment, Service, Secret or claim whose notebook is gone;
 * - the person's view (REST API, proxy) says so, and the run history agrees: a start killed on
 *   its way is recorded ready once the new hub sees it ready; a stopped server has no open run.
 *
 * Each row kills the hub when the cluster shows that step (read through the API server, as a
 * platform engineer would see it), so the step is the cluster's, not the hub's log's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { openPostgresStore } from '../../../src/store/postgres-store.ts';
import type { Store } from '../../../src/store/types.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { ADMIN_PASSWORD, Browser } from '../../helpers/test-hub.ts';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { installCrd, jupyterProfile, restrictedNamespace } from '../kubernetes-backend/setup.ts';
import { HubProcess } from '../replicas/hub-process.ts';

type Step = 'resource written' | 'pod created' | 'pod starting' | 'ready' | 'mid-stop';

interface Row {
  readonly step: Step;
  /** What the person asked for last, so where the server must end. */
  readonly expect: 'running' | 'stopped';
}

const rows: readonly Row[] = [
  { step: 'resource written', expect: 'running' },
  { step: 'pod created', expect: 'running' },
  { step: 'pod starting', expect: 'running' },
  { step: 'ready', expect: 'running' },
  { step: 'mid-stop', expect: 'stopped' },
];

interface Notebook {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { stopped?: boolean };
  status?: { phase?: string };
}

interface Pod {
  metadata: { name: string; deletionTimestamp?: Date; labels?: Record<string, string> };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
  };
}

describe('the hub killed at every step of a start and a stop', { timeout: 1_500_000 }, () => {
  let cluster: TestCluster;
  let pg: TestPostgres;
  let ns: string;
  let dir: string;
  let dbUrl: string;
  let store: Store;
  let hub: HubProcess | undefined;
  let generation = 0;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;

  async function startHubProcess(): Promise<HubProcess> {
    generation++;
    const identity = `hub-${String(generation)}`;
    hub = await HubProcess.start({
      name: identity,
      dir,
      config: {
        hub: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'data') },
        store: { url: dbUrl },
        auth: { type: 'dummy' },
        backend: {
          type: 'kubernetes',
          kubernetes: {
            namespace: ns,
            kubeconfig: cluster.kubeconfigPath,
            runOperator: true,
            startTimeoutSeconds: 240,
            // A new process has a new identity (a new pod in a Deployment): it waits for the
            // killed one's Lease to expire, so keep that short.
            leaderElection: {
              identity,
              leaseDurationSeconds: 6,
              renewDeadlineSeconds: 5,
              retryPeriodSeconds: 1,
            },
          },
        },
        profiles: [{ ...jupyterProfile, idleTimeoutMinutes: 0 }],
      },
      env: { GANYMEDE_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
    return hub;
  }

  async function notebookOf(user: string): Promise<Notebook | undefined> {
    const list = (await custom.listNamespacedCustomObject({
      group: 'ganymede.dev',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'jupyternotebooks',
    })) as { items: Notebook[] };
    return list.items.find((n) => n.metadata.annotations?.['ganymede.dev/user'] === user);
  }

  async function podsOf(notebook: string): Promise<Pod[]> {
    const pods = await core.listNamespacedPod({
      namespace: ns,
      labelSelector: `ganymede.dev/notebook=${notebook}`,
    });
    return pods.items as Pod[];
  }

  async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 240_000) {
    const deadline = Date.now() + ms;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what} (${String(last)})`);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ganymede-hub-kill-'));
    [cluster, pg] = await Promise.all([startCluster(), startPostgres()]);
    await installCrd(cluster);
    ns = await restrictedNamespace(cluster, 'hub-kill');
    dbUrl = await pg.createDatabase();
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
    await startHubProcess();
    store = await openPostgresStore(dbUrl);
  });

  after(async () => {
    await hub?.kill();
    await store.close();
    await cluster.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [i, row] of rows.entries()) {
    it(`killed at "${row.step}": the next hub converges to ${row.expect}`, async () => {
      const user = `kill${String(i)}`;
      let current = hub ?? (await startHubProcess());
      const person = new Browser(current.url);
      await person.signIn(user, 'any-password');
      const xsrf = await person.xsrf();
      const start = await person.form('/hub/spawn', { _xsrf: xsrf });
      assert.equal(start.status, 302, await start.text());

      if (row.step === 'mid-stop') {
        await until('the server to be ready', async () => {
          const r = await person.fetch(`/hub/api/users/${user}`);
          const m = (await r.json()) as { servers: Record<string, { ready: boolean }> };
          return m.servers['']?.ready === true ? true : undefined;
        });
        // The stop request goes out and is left hanging: the hub dies under it.
        void person.form('/hub/stop', { _xsrf: xsrf, server: '' }).catch(() => undefined);
      }
      const seen = await until(`the step "${row.step}"`, () => reached(row.step, user), 240_000);
      await current.kill();

      current = await startHubProcess();
      // The same person, the same cookie, on the new process.
      const again = new Browser(current.url);
      for (const [k, v] of person.cookies) again.cookies.set(k, v);
      const notebook = seen.notebook;

      if (row.expect === 'running') {
        await until('the API to say ready', async () => {
          const r = await again.fetch(`/hub/api/users/${user}`);
          const m = (await r.json()) as { servers: Record<string, { ready: boolean }> };
          return m.servers['']?.ready === true ? true : undefined;
        });
        const status = await again.fetch(`/user/${user}/api/status`);
        assert.equal(status.status, 200, await status.text());
        const live = (await podsOf(notebook)).filter((p) => !p.metadata.deletionTimestamp);
        assert.equal(live.length, 1, `one pod: ${live.map((p) => p.metadata.name).join(', ')}`);
        // History: one open run, and it was ready.
        const [u] = await store.getUsersByName([user]);
        assert.ok(u);
        const open = await until(
          'the run to be recorded ready',
          async () => {
            const runs = await store.openRunsOf([u.id]);
            return runs.length === 1 && runs[0]?.readyAt ? runs : undefined;
          },
          60_000,
        );
        assert.equal(open.length, 1);
      } else {
        await until('the pod to be gone and the notebook stopped', async () => {
          const nb = await notebookOf(user);
          const pods = await podsOf(notebook);
          return nb?.spec.stopped === true && pods.length === 0 ? true : undefined;
        });
        const r = await again.fetch(`/hub/api/users/${user}`);
        const m = (await r.json()) as { servers: Record<string, { ready: boolean }> };
        assert.notEqual(m.servers['']?.ready, true, JSON.stringify(m));
        const [u] = await store.getUsersByName([user]);
        assert.ok(u);
        assert.deepEqual(await store.openRunsOf([u.id]), []);
      }
      await assertNoOrphans();
    });
  }

  /** Waits for one step of the cluster's view of `user`'s default server. */
  async function reached(step: Step, user: string): Promise<{ notebook: string } | undefined> {
    const nb = await notebookOf(user);
    if (!nb) return undefined;
    const notebook = nb.metadata.name;
    if (step === 'resource written') return { notebook };
    if (step === 'mid-stop') return nb.spec.stopped === true ? { notebook } : undefined;
    const pods = await podsOf(notebook);
    const pod = pods[0];
    if (!pod) return undefined;
    if (step === 'pod created') return { notebook };
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (step === 'pod starting') {
      return pod.status?.phase === 'Running' && !ready ? { notebook } : undefined;
    }
    return ready ? { notebook } : undefined; // 'ready'
  }

  /** Every object the operator made belongs to a notebook that exists, once each. */
  async function assertNoOrphans(): Promise<void> {
    const notebooks = new Set(
      (
        (await custom.listNamespacedCustomObject({
          group: 'ganymede.dev',
          version: 'v1alpha1',
          namespace: ns,
          plural: 'jupyternotebooks',
        })) as { items: Notebook[] }
      ).items.map((n) => n.metadata.name),
    );
    const selector = { namespace: ns, labelSelector: 'ganymede.dev/notebook' };
    const kinds: [string, { metadata?: { name?: string; labels?: Record<string, string> } }[]][] = [
      ['Secret', (await core.listNamespacedSecret(selector)).items],
      ['Service', (await core.listNamespacedService(selector)).items],
      ['PersistentVolumeClaim', (await core.listNamespacedPersistentVolumeClaim(selector)).items],
    ];
    for (const [kind, items] of kinds) {
      for (const o of items) {
        const owner = o.metadata?.labels?.['ganymede.dev/notebook'] ?? '';
        assert.ok(notebooks.has(owner), `${kind} ${o.metadata?.name ?? ''} has no notebook`);
      }
    }
    const services = (await core.listNamespacedService(selector)).items;
    const perNotebook = new Map<string, number>();
    for (const s of services) {
      const owner = s.metadata?.labels?.['ganymede.dev/notebook'] ?? '';
      perNotebook.set(owner, (perNotebook.get(owner) ?? 0) + 1);
    }
    for (const [owner, n] of perNotebook) assert.equal(n, 1, `services of ${owner}`);
  }
});
