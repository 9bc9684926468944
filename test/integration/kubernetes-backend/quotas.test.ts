/**
 * Quotas on the real control plane (issue 15, point 6): two hub replicas sharing one real
 * PostgreSQL and one namespace, two people in two groups with different quotas, every start
 * asked for at the same moment through both replicas' REST APIs. Each person gets exactly what
 * their group allows; every other start is a 429 with the plain reason and leaves nothing in
 * the cluster (no `JupyterNotebook`, so no pod, claim or Secret either); the accepted ones
 * become real Jupyter servers that answer through the proxy.
 *
 * test/integration/replicas/quotas.test.ts proves the same rule with more starts on a test
 * double of the backend; this one proves the whole path, cluster included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startK8sHub } from '../../helpers/k8s-hub.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import {
  installCrd,
  jupyterProfile,
  listItems,
  restrictedNamespace,
  START_TIMEOUT_MS,
} from './setup.ts';

const STARTS = 4;

interface Answer {
  readonly person: string;
  readonly server: string;
  readonly status: number;
  readonly body: string;
}

describe('quotas on the kubernetes backend, two replicas', { timeout: 900_000 }, () => {
  let cluster: TestCluster;
  let pg: TestPostgres;
  let ns: string;
  const hubs: Awaited<ReturnType<typeof startK8sHub>>[] = [];

  before(async () => {
    [cluster, pg] = await Promise.all([startCluster(), startPostgres()]);
    await installCrd(cluster);
    ns = await restrictedNamespace(cluster, 'quotas');
    const storeUrl = await pg.createDatabase();
    const config = {
      profiles: [jupyterProfile], // 100m CPU a server
      servers: { maxPerUser: 10 },
      quotas: {
        default: { maxServers: 1 },
        // physics: limited by CPU (two servers of 100m); students: by servers (one).
        groups: { physics: { maxServers: 5, cpu: '200m' }, students: { maxServers: 1 } },
      },
    };
    // One after the other: the first creates the schema, the second finds it.
    for (let i = 0; i < 2; i++) {
      hubs.push(
        await startK8sHub({
          kubeconfigPath: cluster.kubeconfigPath,
          namespace: ns,
          storeUrl,
          runOperator: true,
          config,
        }),
      );
    }
  });

  after(async () => {
    for (const h of hubs) await h.close();
    await cluster.stop();
    await pg.stop();
  });

  it('two groups start at once: each gets what the group allows, refusals leave nothing behind', async () => {
    const [a, b] = hubs.map((h) => h.hub);
    assert.ok(a && b);
    const people = [
      { name: 'phil', group: 'physics', allowed: 2, refusal: cpuRefusal },
      { name: 'stu', group: 'students', allowed: 1, refusal: serverRefusal },
    ];
    const accounts = await Promise.all(
      people.map(async (p) => {
        const user = await a.auth.createUser(p.name, null, false);
        await a.store.setUserGroups(user.id, 'local', [p.group]);
        return { ...p, token: (await a.auth.createToken(user.id, 'quota test')).token };
      }),
    );

    const answers: Answer[] = await Promise.all(
      accounts.flatMap((p) =>
        Array.from({ length: STARTS }, async (_, i) => {
          const hub = i % 2 === 0 ? a : b;
          const server = `s${String(i)}`;
          const res = await fetch(`${hub.url}/hub/api/users/${p.name}/servers/${server}`, {
            method: 'POST',
            headers: { authorization: `token ${p.token}` },
          });
          return { person: p.name, server, status: res.status, body: await res.text() };
        }),
      ),
    );

    for (const p of accounts) {
      const mine = answers.filter((r) => r.person === p.name);
      const accepted = mine.filter((r) => r.status === 201 || r.status === 202);
      const refused = mine.filter((r) => r.status === 429);
      assert.equal(accepted.length, p.allowed, JSON.stringify(mine));
      assert.equal(refused.length, STARTS - p.allowed, JSON.stringify(mine));
      for (const r of refused) {
        assert.match((JSON.parse(r.body) as { message: string }).message, p.refusal);
      }
      // The accepted ones become ready and answer through either replica's proxy.
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (const r of accepted) {
        let ready = false;
        while (!ready && Date.now() < deadline) {
          const res = await fetch(`${b.url}/hub/api/users/${p.name}`, {
            headers: { authorization: `token ${p.token}` },
          });
          const model = (await res.json()) as { servers: Record<string, { ready: boolean }> };
          ready = model.servers[r.server]?.ready === true;
          if (!ready) await new Promise((done) => setTimeout(done, 1000));
        }
        assert.ok(ready, `${p.name}/${r.server} became ready`);
        const status = await fetch(`${a.url}/user/${p.name}/${r.server}/api/status`, {
          headers: { authorization: `token ${p.token}` },
        });
        assert.equal(status.status, 200, await status.text());
      }
      // The cluster holds a notebook for each accepted start and none for a refused one
      // (the backend writes it in the background, so this is checked once they are ready).
      const notebooks = (
        await listItems<{ metadata: { annotations?: Record<string, string> } }>(
          cluster,
          ns,
          'jupyternotebooks',
        )
      ).filter((n) => n.metadata.annotations?.['ganymede.dev/user'] === p.name);
      assert.equal(notebooks.length, p.allowed, JSON.stringify(notebooks));
    }

    // Still within quota once running: one more start for each is refused, nothing created.
    for (const p of accounts) {
      const res = await fetch(`${a.url}/hub/api/users/${p.name}/servers/extra`, {
        method: 'POST',
        headers: { authorization: `token ${p.token}` },
      });
      assert.equal(res.status, 429, await res.text());
    }
    const all = await listItems<unknown>(cluster, ns, 'jupyternotebooks');
    assert.equal(all.length, 3);
    const pods = await listItems<unknown>(cluster, ns, 'pods');
    assert.equal(pods.length, 3);

    // Stopping one frees its share: the next start is accepted.
    const stop = await fetch(`${b.url}/hub/api/users/stu/servers/${accepted('stu', answers)}`, {
      method: 'DELETE',
      headers: { authorization: `token ${tokenOf(accounts, 'stu')}` },
    });
    assert.ok([202, 204].includes(stop.status), await stop.text());
    const again = await fetch(`${a.url}/hub/api/users/stu/servers/after-stop`, {
      method: 'POST',
      headers: { authorization: `token ${tokenOf(accounts, 'stu')}` },
    });
    assert.ok([201, 202].includes(again.status), await again.text());
    for (const p of accounts) {
      for (const s of ['s0', 's1', 's2', 's3', 'after-stop']) {
        await hubs[0]?.hub.backend.stop({ user: p.name, server: s }).catch(() => undefined);
      }
    }
  });
});

function accepted(person: string, answers: readonly Answer[]): string {
  const a = answers.find((r) => r.person === person && (r.status === 201 || r.status === 202));
  assert.ok(a);
  return a.server;
}

function tokenOf(accounts: readonly { name: string; token: string }[], name: string): string {
  const a = accounts.find((p) => p.name === name);
  assert.ok(a);
  return a.token;
}

const cpuRefusal =
  /^This would reserve 0\.3 CPU cores and your limit is 0\.2 CPU cores; your running servers reserve 0\.2 \(“s\d”: 0\.1, “s\d”: 0\.1\)\. Stop one of them first\.$/;
const serverRefusal =
  /^You can run 1 server at once and 1 is running \(“s\d”\)\. Stop one to start this one\.$/;
