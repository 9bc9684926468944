/**
 * The chart's pre-puller on a real node (kubelet + containerd, images from this run's
 * registry): its DaemonSet, as the chart renders it, pulls the profile's image before anyone
 * asks, in a namespace enforcing `restricted`; the first start of a notebook then never says
 * "Downloading the environment", and the kubelet reports the image already present.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { notebookImage } from '../../cluster/real-node/node-images.ts';
import { renderChart } from '../helm/helm.ts';
import {
  kubectlOk,
  notebookYaml,
  startOperatorCluster,
  waitForNotebook,
  type OperatorCluster,
} from '../operator/helpers.ts';

let fixture: OperatorCluster;

before(async () => {
  fixture = await startOperatorCluster('prepull', {}, { node: 'kubelet' });
});
after(() => fixture.stop());

describe('the chart pre-puller on a real node', { timeout: 900_000 }, () => {
  it('pulls the profile image before the first start, which then skips the download step', async () => {
    const { cluster, namespace: ns } = fixture;
    const daemonSet = (
      await renderChart(
        {
          notebookNamespace: ns,
          'prePuller.enabled': true,
          config: {
            profiles: [{ name: 'standard', displayName: 'Standard', image: notebookImage }],
          },
        },
        { namespace: ns, release: 'pp' },
      )
    ).find((m) => m.kind === 'DaemonSet');
    assert.ok(daemonSet, 'the chart renders the pre-puller');
    await kubectlOk(cluster, ['apply', '-f', '-'], JSON.stringify(daemonSet));
    await kubectlOk(cluster, [
      'rollout',
      'status',
      '-n',
      ns,
      `daemonset/${daemonSet.metadata.name}`,
      '--timeout=600s',
    ]);
    const pulls = await kubectlOk(cluster, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'reason=Pulled',
      '-o',
      'jsonpath={range .items[*]}{.involvedObject.name} {.message}{"\\n"}{end}',
    ]);
    assert.match(
      pulls,
      new RegExp(
        `^pp-ganymede-image-puller-\\S+ Successfully pulled image "${notebookImage}"`,
        'm',
      ),
      pulls,
    );

    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('first', ns, { image: notebookImage, resources: { memory: '1Gi' } }),
    );
    const reasons: string[] = [];
    await waitForNotebook(
      cluster,
      ns,
      'first',
      (nb) => {
        const reason = nb.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
        if (reason && reasons.at(-1) !== reason) reasons.push(reason);
        return nb.status?.phase === 'Running';
      },
      'Running',
      300_000,
    );
    assert.ok(
      !reasons.includes('DownloadingImage'),
      `no "Downloading the environment" step: ${reasons.join(' → ')}`,
    );
    const notebookPulls = await kubectlOk(cluster, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'reason=Pulled',
      '-o',
      'jsonpath={range .items[*]}{.involvedObject.name} {.message}{"\\n"}{end}',
    ]);
    assert.match(notebookPulls, /^first-\S+ Container image "[^"]+" already present on machine/m);
  });
});
