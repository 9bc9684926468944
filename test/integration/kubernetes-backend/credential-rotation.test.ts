/**
 * A hub whose service-account token is replaced while it runs, as the kubelet replaces a
 * projected token: the hub (backend, in-hub operator, Lease) runs as a ServiceAccount with the
 * chart's Role, from a kubeconfig naming a token file (`tokenFile`, as kubectl writes it). The
 * token is minted with the TokenRequest API bound to a Secret; a second token, bound to
 * another Secret, is written over the file and the first Secret deleted, which revokes the
 * first token. The hub must go on working: its next requests, and its watches once they have
 * had to connect again.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { resourceNameOf } from '../../../src/backends/kubernetes/index.ts';
import type { ServerRef } from '../../../src/backends/types.ts';
import { createKubeApi, KubeApiError } from '../../../src/kubernetes/client/kube-api.ts';
import { serverBaseUrl } from '../../../src/servers/server-service.ts';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { startK8sHub } from '../../helpers/k8s-hub.ts';
import { installCrd, jupyterProfile, kubectlOk, restrictedNamespace } from './setup.ts';

const rbacTemplate = new URL('../../../deploy/helm/ganymede/templates/rbac.yaml', import.meta.url);

/** The chart's Role rules: the first document's `rules:` block, which has no template syntax. */
function chartRoleRules(): unknown {
  const text = readFileSync(rbacTemplate, 'utf8');
  const start = text.indexOf('\nrules:\n');
  const end = text.indexOf('\n---', start);
  assert.ok(start > 0 && end > start, 'the chart still has a Role with rules');
  const block = text.slice(start + 1, end);
  assert.doesNotMatch(block, /\{\{/, 'the rules block is plain YAML');
  return (parse(block) as { rules: unknown }).rules;
}

const sa = 'ganymede-hub';

describe('hub credentials replaced while it runs', { timeout: 900_000 }, () => {
  let cluster: TestCluster;
  let ns: string;
  let tokenPath: string;
  let ctx: Awaited<ReturnType<typeof startK8sHub>> | undefined;

  const apply = (object: unknown): Promise<string> =>
    kubectlOk(cluster, ['apply', '-f', '-'], JSON.stringify(object));

  /** A token for the ServiceAccount, valid while the Secret `secret` exists. */
  async function mintToken(secret: string): Promise<string> {
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace: ns } });
    const out = await kubectlOk(cluster, [
      'create',
      'token',
      sa,
      '-n',
      ns,
      '--bound-object-kind',
      'Secret',
      '--bound-object-name',
      secret,
      '--duration',
      '1h',
    ]);
    return out.trim();
  }

  /** As the kubelet does it: a new file renamed over the old one. */
  function writeToken(token: string): void {
    writeFileSync(`${tokenPath}.new`, token);
    renameSync(`${tokenPath}.new`, tokenPath);
  }

  /** What the API server says to a plain request with this token (its status, 200 or not). */
  async function statusWithToken(token: string): Promise<number> {
    const current = cluster.kubeConfig.getCurrentCluster();
    assert.ok(current);
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(current, { name: 'probe', token });
    const api = await createKubeApi(kc);
    try {
      await api.list(`/apis/ganymede.dev/v1alpha1/namespaces/${ns}/jupyternotebooks`);
      return 200;
    } catch (e) {
      if (e instanceof KubeApiError) return e.status;
      throw e;
    } finally {
      api.close();
    }
  }

  before(async () => {
    cluster = await startCluster();
    await installCrd(cluster);
    ns = await restrictedNamespace(cluster, 'creds');
    await apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace: ns },
    });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: sa, namespace: ns },
      rules: chartRoleRules(),
    });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: sa, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    });
    tokenPath = join(cluster.dir, 'hub-token');
    writeToken(await mintToken('hub-token-1'));
    const current = cluster.kubeConfig.getCurrentCluster();
    assert.ok(current);
    const kubeconfigPath = join(cluster.dir, 'hub-kubeconfig');
    writeFileSync(
      kubeconfigPath,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'test',
            cluster: {
              server: current.server,
              ...(current.caData
                ? { 'certificate-authority-data': current.caData }
                : { 'certificate-authority': current.caFile }),
            },
          },
        ],
        users: [{ name: sa, user: { tokenFile: tokenPath } }],
        contexts: [{ name: 'hub', context: { cluster: 'test', user: sa, namespace: ns } }],
        'current-context': 'hub',
      }),
    );
    ctx = await startK8sHub({
      kubeconfigPath,
      namespace: ns,
      runOperator: true,
      config: { profiles: [jupyterProfile] },
    });
  });

  after(async () => {
    await ctx?.close();
    await cluster.stop();
  });

  it('keeps working after its token file is replaced and the old token revoked', async (t) => {
    assert.ok(ctx);
    const { backend, isLeader } = ctx.parts;
    const alice: ServerRef = { user: 'alice', server: '' };
    const options = { profile: jupyterProfile, baseUrl: serverBaseUrl(alice) };
    const first = await backend.start(alice, options);
    assert.equal(first.phase, 'running', JSON.stringify(first));

    const oldToken = readFileSync(tokenPath, 'utf8');
    writeToken(await mintToken('hub-token-2'));
    await kubectlOk(cluster, ['delete', 'secret', '-n', ns, 'hub-token-1']);
    // The API server learns of the deletion through its own caches: wait until it refuses.
    const deadline = Date.now() + 60_000;
    let status = await statusWithToken(oldToken);
    while (status !== 401 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = await statusWithToken(oldToken);
    }
    assert.equal(status, 401, 'the first token is revoked');
    assert.equal(await statusWithToken(readFileSync(tokenPath, 'utf8')), 200);

    // The very next request: stop writes the notebook (REST), then follows its watches.
    await backend.stop(alice);
    assert.equal((await backend.status(alice)).phase, 'stopped');

    // client-node's Watch ends a watch that has carried nothing for 30 s and the informers
    // connect again: wait until every watch has had to, so each authenticated anew.
    const quietMs = 40_000;
    t.diagnostic(`letting the watches go quiet for ${quietMs / 1000} s`);
    await new Promise((r) => setTimeout(r, quietMs));

    // Start again: the hub's apply, the in-hub operator's reconcile, and the backend's view of
    // it all come from requests and watches made with the new token.
    const again = await backend.start(alice, options);
    assert.equal(again.phase, 'running', JSON.stringify(again));
    assert.deepEqual(
      backend.find({ phases: ['running'] }).map((s) => s.ref),
      [alice],
      'the watch caches show the server running',
    );
    // A change made by someone else reaches the hub through its watches too.
    await kubectlOk(cluster, [
      'patch',
      'jnb',
      '-n',
      ns,
      resourceNameOf(alice),
      '--type=merge',
      '-p',
      '{"spec":{"stopped":true}}',
    ]);
    const stopDeadline = Date.now() + 120_000;
    while ((await backend.status(alice)).phase !== 'stopped' && Date.now() < stopDeadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await backend.status(alice)).phase, 'stopped');
    assert.equal(isLeader(), true, 'the Lease was renewed all along');
  });
});
