/**
 * A whole hub on the Kubernetes backend, with the operator running inside it (leader-elected):
 * a person signs in, presses Start, follows the progress page's stream, and runs `1+1` over a
 * kernel WebSocket through the hub's proxy, which reaches the pod at its own IP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { startK8sHub } from '../../helpers/k8s-hub.ts';
import { ADMIN_PASSWORD, Browser } from '../../helpers/test-hub.ts';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { getJson, installCrd, jupyterProfile, restrictedNamespace } from './setup.ts';

describe('hub on the kubernetes backend', { timeout: 900_000 }, () => {
  let cluster: TestCluster;
  let ns: string;
  let ctx: Awaited<ReturnType<typeof startK8sHub>>;
  let alice: Browser;
  let watchesBefore: Map<string, number>;

  before(async () => {
    cluster = await startCluster();
    await installCrd(cluster);
    ns = await restrictedNamespace(cluster, 'hub');
    watchesBefore = await namespacedWatches(cluster);
    ctx = await startK8sHub({
      kubeconfigPath: cluster.kubeconfigPath,
      namespace: ns,
      runOperator: true,
      config: { profiles: [jupyterProfile] },
    });
    const admin = new Browser(ctx.hub.url);
    await admin.signIn('admin', ADMIN_PASSWORD);
    const res = await admin.form('/hub/admin/users', {
      _xsrf: await admin.xsrf(),
      name: 'alice',
      access: 'password',
      password: 'alice-password',
    });
    // 201: the admin page answers itself ("Added alice."); 302 in older builds.
    assert.ok([201, 302].includes(res.status), await res.text());
    alice = new Browser(ctx.hub.url);
    await alice.signIn('alice', 'alice-password');
  });

  after(async () => {
    await ctx.hub.backend.stop({ user: 'alice', server: '' });
    await ctx.close();
    await cluster.stop();
  });

  it('this single replica holds the Lease and runs the operator', async () => {
    const deadline = Date.now() + 60_000;
    while (!ctx.parts.isLeader() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(ctx.parts.isLeader(), true);
    const lease = await getJson<{ spec: { holderIdentity: string } }>(cluster, [
      'get',
      'lease',
      '-n',
      ns,
      'ganymede-hub',
    ]);
    assert.equal(lease.spec.holderIdentity, ctx.parts.identity);
  });

  it('watches each kind once: the backend, the culler and the operator share one set', async () => {
    // The API server counts its open WATCH requests per resource and scope; the hub's are the
    // only namespace-scoped ones here (the controller manager watches cluster-wide).
    // The operator's kinds are listed and watched 2 s after the hub's own (notebooks, Secrets):
    // wait until every kind is watched, then count.
    const kinds = 9;
    const deadline = Date.now() + 30_000;
    const added = new Map<string, number>();
    do {
      added.clear();
      for (const [resource, n] of await namespacedWatches(cluster)) {
        const delta = n - (watchesBefore.get(resource) ?? 0);
        if (delta !== 0) added.set(resource, delta);
      }
      if (added.size >= kinds) break;
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < deadline);
    assert.deepEqual(Object.fromEntries([...added].sort()), {
      deployments: 1,
      // Two selections of one kind: Warning events, and the kubelet's Pulling events.
      events: 2,
      ingresses: 1,
      jupyternotebooks: 1,
      networkpolicies: 1,
      persistentvolumeclaims: 1,
      pods: 1,
      secrets: 1,
      services: 1,
    });
  });

  it('sign in, Start, progress to ready, 1+1 through the proxy', async () => {
    const events = await alice.startServer();
    assert.match(events, /Asking the cluster for your server/);
    assert.match(events, /"progress":100/);
    const kernel = await alice.fetch('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'python3' }),
    });
    assert.equal(kernel.status, 201, await kernel.clone().text());
    const kernelId = ((await kernel.json()) as { id: string }).id;
    const ws = ctx.hub.url.replace('http', 'ws') + `/user/alice/api/kernels/${kernelId}/channels`;
    assert.equal(
      await executeOverWebSocket(ws, '1+1', { cookie: alice.cookieHeader, origin: ctx.hub.url }),
      '2',
    );
    const me = (await (await alice.fetch('/hub/api/users/alice')).json()) as {
      servers: Record<string, { ready: boolean }>;
    };
    assert.equal(me.servers['']?.ready, true);
  });
});

/** Open namespace-scoped WATCH requests per resource, from the API server's own metrics. */
async function namespacedWatches(cluster: TestCluster): Promise<Map<string, number>> {
  const { stdout, code, stderr } = await cluster.kubectl(['get', '--raw', '/metrics']);
  assert.equal(code, 0, stderr);
  const counts = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('apiserver_longrunning_requests{')) continue;
    if (!line.includes('verb="WATCH"') || !line.includes('scope="namespace"')) continue;
    const resource = /resource="([^"]*)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (resource) counts.set(resource, (counts.get(resource) ?? 0) + value);
  }
  return counts;
}
