/**
 * `ganymede crd apply` on a real API server: a cluster still on an older CRD (one without a
 * field this version added) prunes that field from new resources; after `crd apply` the
 * field is kept, and a dry run changes nothing. This is what the chart's pre-upgrade hook
 * runs (crdUpgrade.enabled), since Helm never upgrades `crds/`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { runCrd } from '../../../src/cli/commands/crd.ts';
import { notebookCrd } from '../../../src/kubernetes/crd/notebook-crd.ts';
import { kubectlOk, notebookYaml, restrictedNamespace } from './helpers.ts';

let cluster: TestCluster;
let ns: string;

before(async () => {
  cluster = await startCluster({ nodeAgent: false });
  ns = await restrictedNamespace(cluster, 'crdup');
});
after(() => cluster.stop());

/** The current CRD with `spec.defaultUrl` taken out: a CRD from before that field existed. */
function olderCrd(): Record<string, unknown> {
  const crd = structuredClone(notebookCrd()) as {
    spec: {
      versions: {
        schema: {
          openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } };
        };
      }[];
    };
  };
  const version = crd.spec.versions[0];
  assert.ok(version);
  delete version.schema.openAPIV3Schema.properties.spec.properties['defaultUrl'];
  return crd;
}

async function run(args: string[]): Promise<string> {
  let out = '';
  assert.equal(await runCrd(args, { write: (t) => (out += t) }), 0);
  return out;
}

async function defaultUrlKept(name: string): Promise<boolean> {
  // Without strict validation, as a GitOps tool or an older client writes: the API server
  // silently prunes what its schema lacks.
  await kubectlOk(
    cluster,
    ['apply', '--validate=ignore', '-f', '-'],
    notebookYaml(name, ns, { image: 'i', defaultUrl: '/lab/tree/README.ipynb' }),
  );
  const nb = JSON.parse(await kubectlOk(cluster, ['get', '-n', ns, 'jnb', name, '-o', 'json'])) as {
    spec: { defaultUrl?: string };
  };
  return nb.spec.defaultUrl === '/lab/tree/README.ipynb';
}

describe('ganymede crd apply', () => {
  it('upgrades an older CRD so a new field is kept, after a dry run that changes nothing', async () => {
    await kubectlOk(cluster, ['apply', '--server-side', '-f', '-'], JSON.stringify(olderCrd()));
    await kubectlOk(cluster, [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/jupyternotebooks.ganymede.dev',
    ]);
    assert.equal(await defaultUrlKept('before'), false, 'the older CRD prunes the new field');

    const dry = await run(['apply', '--dry-run', '--kubeconfig', cluster.kubeconfigPath]);
    assert.match(dry, /dry run, nothing changed/);
    assert.equal(await defaultUrlKept('after-dry-run'), false);

    const out = await run(['apply', '--kubeconfig', cluster.kubeconfigPath]);
    assert.match(out, /applied, generation \d+, established/);
    assert.equal(await defaultUrlKept('after'), true);

    // Applying again is harmless: the same generation.
    const again = await run(['apply', '--kubeconfig', cluster.kubeconfigPath]);
    assert.equal(/generation (\d+)/.exec(again)?.[1], /generation (\d+)/.exec(out)?.[1]);
  });

  it('prints the CRD it would apply', async () => {
    assert.match(await run(['print']), /name: jupyternotebooks\.ganymede\.dev/);
  });
});
