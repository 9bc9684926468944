/**
 * A literal `helm install` and `helm upgrade` of the chart on the test control plane, with the
 * CRD hook on (crdUpgrade.enabled): after an older chart's CRD (one without a field this
 * version added) is put back, `helm upgrade` leaves it as it is (Helm never upgrades `crds/`)
 * unless the pre-upgrade hook Job runs `ganymede crd apply` from the hub image (run here by the
 * node agent). Helm deletes the hook's objects once they succeed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { hubImage } from '../../cluster/images/hub-image.ts';
import { notebookCrd } from '../../../src/kubernetes/crd/notebook-crd.ts';
import { kubectlOk, restrictedNamespace } from '../operator/helpers.ts';
import { forwardApiServerToPods, type ApiForwarder } from './api-forwarder.ts';
import { chartDir, runHelm } from './helm.ts';
import { hubLogs, smallProfiles } from './install.ts';

const RELEASE = 'up';

describe('helm install and upgrade with the CRD hook', { timeout: 900_000 }, () => {
  let cluster: TestCluster | undefined;
  let forwarder: ApiForwarder | undefined;
  let ns = '';

  before(async () => {
    const hub = hubImage();
    cluster = await startCluster({ images: [hub.rule] });
    forwarder = await forwardApiServerToPods(cluster);
    hub.setApiServer(forwarder.url);
    ns = await restrictedNamespace(cluster, 'helmup');
  });

  after(async () => {
    await forwarder?.close();
    await cluster?.stop();
  });

  const need = (): TestCluster => {
    assert.ok(cluster, 'started in before()');
    return cluster;
  };

  const hasDefaultUrl = async () =>
    (
      await kubectlOk(need(), ['get', 'crd', 'jupyternotebooks.ganymede.dev', '-o', 'json'])
    ).includes('"defaultUrl"');

  const helm = async (verb: 'install' | 'upgrade', extra: string[]) => {
    const c = need();
    const r = await runHelm([
      verb,
      RELEASE,
      chartDir,
      '--kubeconfig',
      c.kubeconfigPath,
      '--namespace',
      ns,
      '--timeout',
      '5m',
      '--set',
      'crdUpgrade.enabled=true,image.tag=test,image.pullPolicy=Never,adminPassword=helm-test',
      '--set-json',
      `config=${JSON.stringify({ profiles: smallProfiles })}`,
      ...extra,
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${hubLogs(c)}`);
    return r.stdout;
  };

  /** The current CRD without `spec.defaultUrl`: what an older chart version installed. */
  const putOlderCrdBack = async () => {
    const older = structuredClone(notebookCrd()) as {
      spec: {
        versions: {
          schema: {
            openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } };
          };
        }[];
      };
    };
    const props = older.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties;
    assert.ok(props);
    delete props['defaultUrl'];
    await kubectlOk(
      need(),
      ['apply', '--server-side', '--force-conflicts', '--field-manager=helm', '-f', '-'],
      JSON.stringify(older),
    );
    assert.equal(await hasDefaultUrl(), false);
  };

  const hookObjectsLeft = async () => {
    const c = need();
    const inNs = await c.kubectl(['get', 'job,serviceaccount', '-n', ns, '-o', 'name']);
    const cluster = await kubectlOk(c, ['get', 'clusterrole,clusterrolebinding', '-o', 'name']);
    return `${inNs.stdout}${cluster}`.split('\n').filter((l) => l.includes('crd-upgrade'));
  };

  it('helm install runs the pre-install hook, and Helm removes its objects after', async () => {
    await helm('install', []);
    assert.equal(await hasDefaultUrl(), true);
    assert.deepEqual(await hookObjectsLeft(), [], 'hook-succeeded: Job, account and rights gone');
  });

  it('helm upgrade leaves an older CRD as it is without the hook, and upgrades it with', async () => {
    const c = need();
    await putOlderCrdBack();
    await helm('upgrade', ['--set', 'crdUpgrade.enabled=false']);
    assert.equal(await hasDefaultUrl(), false, 'Helm never upgrades crds/ on upgrade');

    await helm('upgrade', ['--set', 'logLevel=debug']);
    assert.equal(await hasDefaultUrl(), true, 'the pre-upgrade hook applied the CRD');
    assert.deepEqual(await hookObjectsLeft(), []);
    const history = await runHelm(['history', RELEASE, '--kubeconfig', c.kubeconfigPath, '-n', ns]);
    assert.match(history.stdout, /^3\s.*deployed\s+ganymede-/m, history.stdout);
  });
});
