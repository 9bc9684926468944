/**
 * The chart on the real test control plane: `helm template` output applied with server-side
 * apply into a namespace enforcing the `restricted` Pod Security Standard; the hub runs as a
 * pod of the node agent (image rule test/cluster/images/hub-image.ts), with its own
 * ServiceAccount and the chart's RBAC, the operator leader-elected inside it. Through the
 * address behind the hub's Service (its EndpointSlice: there is no kube-proxy here), a person
 * signs in, starts a notebook and runs a cell over the kernel WebSocket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { hubImage } from '../../cluster/images/hub-image.ts';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { Browser } from '../../helpers/test-hub.ts';
import { kubectlOk, restrictedNamespace } from '../operator/helpers.ts';
import { forwardApiServerToPods, type ApiForwarder } from './api-forwarder.ts';
import { notebookCrd } from '../../../src/kubernetes/crd/notebook-crd.ts';
import { renderChart } from './helm.ts';
import { adminPassword, hubLogs, installChart, smallProfiles } from './install.ts';

const RELEASE = 'gm';

const TIMEOUT = 300_000;

describe('helm chart on the test control plane', { timeout: 1_200_000 }, () => {
  let cluster: TestCluster | undefined;
  let forwarder: ApiForwarder | undefined;
  let ns = '';
  let hubBase = '';
  let password = '';

  const need = (): TestCluster => {
    assert.ok(cluster, 'started in before()');
    return cluster;
  };

  before(async () => {
    const hub = hubImage();
    // The harness keeps its default rules (quay.io/jupyter/* → Jupyter) after ours.
    cluster = await startCluster({ images: [hub.rule] });
    forwarder = await forwardApiServerToPods(cluster);
    hub.setApiServer(forwarder.url);
    ns = await restrictedNamespace(cluster, 'ganymede');
  });

  after(async () => {
    await forwarder?.close();
    await cluster?.stop();
  });

  it('applies with server-side apply, and the hub pod passes restricted Pod Security', async () => {
    const c = need();
    // Available = the pod passed admission (restricted), ran, and its /ready probe succeeded.
    ({ hubBase } = await installChart(c, {
      namespace: ns,
      release: RELEASE,
      values: { config: { profiles: smallProfiles }, startTimeoutSeconds: 240 },
      timeoutSeconds: TIMEOUT / 1000,
    }));
    password = await adminPassword(c, ns, RELEASE);
    assert.match(password, /^[A-Za-z0-9_-]{20}$/, 'the hub made one and printed it once');
  });

  it('the Service selects the ready hub pod, which serves /hub/login', async () => {
    assert.match(hubBase, /^http:\/\/10\.[0-9.]+:8000$/);
    const login = await fetch(`${hubBase}/hub/login`);
    assert.equal(login.status, 200);
    assert.match(await login.text(), /<form/);
    const ready = await fetch(`${hubBase}/ready`);
    assert.equal(ready.status, 200);
  });

  it('a user signs in, starts a notebook and runs a cell through the hub pod', async () => {
    const c = need();
    assert.ok(hubBase, 'the previous test found the hub');
    const admin = new Browser(hubBase);
    await admin.signIn('admin', password);
    await admin.startServer();
    const notebooks = JSON.parse(
      await kubectlOk(c, ['get', 'jupyternotebooks', '-n', ns, '-o', 'json']),
    ) as {
      items: { status?: { phase?: string } }[];
    };
    assert.equal(notebooks.items.length, 1);
    const created = await admin.fetch('/user/admin/api/kernels', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 201, await created.clone().text());
    const kernel = (await created.json()) as { id: string };
    const result = await executeOverWebSocket(
      `${hubBase.replace('http:', 'ws:')}/user/admin/api/kernels/${kernel.id}/channels`,
      '6 * 7',
      { cookie: admin.cookieHeader, origin: hubBase },
      120_000,
    );
    assert.equal(result, '42');
  });

  it('the operator runs in the hub: it holds the Lease under its pod name', async () => {
    const c = need();
    const leases = JSON.parse(await kubectlOk(c, ['get', 'leases', '-n', ns, '-o', 'json'])) as {
      items: { metadata: { name: string }; spec?: { holderIdentity?: string } }[];
    };
    const pods = JSON.parse(
      await kubectlOk(c, [
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'app.kubernetes.io/component=hub',
        '-o',
        'json',
      ]),
    ) as { items: { metadata: { name: string } }[] };
    const hubPod = pods.items[0]?.metadata.name;
    assert.ok(hubPod);
    assert.ok(
      leases.items.some((l) => l.spec?.holderIdentity === hubPod),
      JSON.stringify(leases.items.map((l) => [l.metadata.name, l.spec?.holderIdentity])),
    );
  });

  it('crdUpgrade: the hook Job upgrades an older CRD with rights on that CRD only', async () => {
    const c = need();
    // An older CRD, from before `defaultUrl`: what a cluster has after `helm upgrade` without
    // the hook (Helm never upgrades crds/).
    const older = structuredClone(notebookCrd()) as {
      spec: {
        versions: {
          schema: {
            openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } };
          };
        }[];
      };
    };
    const specProps = older.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties;
    assert.ok(specProps);
    delete specProps['defaultUrl'];
    await kubectlOk(
      c,
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      JSON.stringify(older),
    );
    const hasField = async () =>
      (await kubectlOk(c, ['get', 'crd', 'jupyternotebooks.ganymede.dev', '-o', 'json'])).includes(
        '"defaultUrl"',
      );
    assert.equal(await hasField(), false);
    // The hook objects exactly as helm would create them before an upgrade.
    const hooks = (
      await renderChart(
        { 'image.tag': 'test', 'image.pullPolicy': 'Never', 'crdUpgrade.enabled': true },
        { namespace: ns, release: RELEASE },
      )
    ).filter((m) => m.metadata.annotations?.['helm.sh/hook'] !== undefined);
    await kubectlOk(
      c,
      ['apply', '-n', ns, '-f', '-'],
      hooks.map((h) => JSON.stringify(h)).join('\n'),
    );
    const job = `job/${RELEASE}-ganymede-crd-upgrade`;
    const done = await c.kubectl([
      'wait',
      '-n',
      ns,
      '--for=condition=Complete',
      '--timeout=180s',
      job,
    ]);
    assert.equal(done.code, 0, `${done.stderr}\n${hubLogs(c)}`);
    assert.equal(await hasField(), true, 'the Job applied the CRD this version needs');
  });

  it('prePuller, placeholders, quota and limit range pass the API server and restricted Pod Security', async () => {
    const c = need();
    const objects = (
      await renderChart(
        {
          'prePuller.enabled': true,
          'placeholders.enabled': true,
          'notebookQuota.enabled': true,
          'notebookLimitRange.enabled': true,
          config: { profiles: smallProfiles },
        },
        { namespace: ns, release: RELEASE },
      )
    ).filter(
      (m) =>
        ['DaemonSet', 'PriorityClass'].includes(m.kind) || m.metadata.name.endsWith('-placeholder'),
    );
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'DaemonSet',
      'Deployment',
      'PriorityClass',
    ]);
    const r = await c.kubectl(
      ['apply', '--dry-run=server', '--validate=strict', '-n', ns, '-f', '-'],
      objects.map((o) => JSON.stringify(o)).join('\n'),
    );
    assert.equal(r.code, 0, r.stderr);
    // The namespace warns about workload templates that would break `restricted`: none.
    assert.equal(r.stderr, '', 'no Pod Security warnings');
  });
});
