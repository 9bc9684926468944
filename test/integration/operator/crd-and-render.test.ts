/**
 * The CRD and `ganymede render` against a real kube-apiserver: the API server refuses invalid
 * notebooks with a message naming the field, fills in defaults, and accepts every rendered
 * object in a server-side dry run inside a namespace enforcing `restricted`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { runRender } from '../../../src/cli/commands/render.ts';
import { installCrd, kubectlOk, notebookYaml, restrictedNamespace } from './helpers.ts';

let cluster: TestCluster;
let ns: string;

before(async () => {
  cluster = await startCluster({ nodeAgent: false });
  await installCrd(cluster);
  ns = await restrictedNamespace(cluster, 'crd');
});
after(() => cluster.stop());

function render(args: string[], input: string): string {
  let out = '';
  runRender(args, { stdin: () => input, write: (t) => (out += t) });
  return out;
}

describe('JupyterNotebook CRD on a real API server', () => {
  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ['a missing image', {}, /spec\.image: Required value/],
    [
      'a CPU that is no quantity',
      { image: 'i', resources: { cpu: 'lots' } },
      /spec\.resources\.cpu/,
    ],
    [
      'an unknown interface',
      { image: 'i', interface: 'vscode' },
      /spec\.interface: Unsupported value: "vscode"/,
    ],
    ['a bad storage size', { image: 'i', storage: { size: 'big' } }, /spec\.storage\.size/],
    [
      'a class with an existing claim',
      { image: 'i', storage: { existingClaim: 'c', className: 'x' } },
      /spec\.storage\.className: Invalid value: .*cannot be combined with storage\.existingClaim/,
    ],
    [
      'retain false with an existing claim',
      { image: 'i', storage: { existingClaim: 'c', retain: false } },
      /spec\.storage\.retain: Invalid value: .*never deletes a claim/,
    ],
    [
      'the reserved token variable',
      { image: 'i', env: { JUPYTER_TOKEN: 'x' } },
      /spec\.env: .*JUPYTER_TOKEN is set by Ganymede/,
    ],
    ['a bad variable name', { image: 'i', env: { '1A': 'x' } }, /spec\.env: .*variable names are/],
    ['a base URL without trailing slash', { image: 'i', baseUrl: '/user/a' }, /spec\.baseUrl/],
    ['a negative idle timeout', { image: 'i', idleTimeoutMinutes: -1 }, /spec\.idleTimeoutMinutes/],
    ['a bad ingress host', { image: 'i', ingress: { host: 'Not A Host' } }, /spec\.ingress\.host/],
    [
      'a subPath climbing out',
      { image: 'i', storage: { subPath: '../x' } },
      /spec\.storage\.subPath/,
    ],
  ];
  for (const [what, spec, message] of refusals) {
    it(`refuses ${what}, naming the field`, async () => {
      const r = await cluster.kubectl(['apply', '-f', '-'], notebookYaml('bad', ns, spec));
      assert.notEqual(r.code, 0, `accepted: ${JSON.stringify(spec)}`);
      assert.match(r.stderr, message);
    });
  }

  it('refuses an unknown field under strict field validation', async () => {
    const r = await cluster.kubectl(
      ['apply', '--validate=strict', '-f', '-'],
      notebookYaml('bad', ns, { image: 'i', imagePullPolicy: 'Always' }),
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown field "spec\.imagePullPolicy"/);
  });

  it('documents every field for kubectl explain, from the zod descriptions', async () => {
    const out = await kubectlOk(cluster, ['explain', 'jupyternotebooks.spec.storage']);
    assert.match(out, /The notebook's home directory \(\/home\/jovyan\), kept across stops\./);
    assert.match(out, /retain\s+<boolean>/);
    assert.match(out, /Keep the created volume when the notebook is deleted/);
  });

  it('accepts a minimal notebook and fills in the defaults', async () => {
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      notebookYaml('minimal', ns, { image: 'quay.io/jupyter/minimal-notebook' }),
    );
    const nb = JSON.parse(
      await kubectlOk(cluster, ['get', '-n', ns, 'jnb', 'minimal', '-o', 'json']),
    ) as {
      spec: Record<string, unknown>;
    };
    assert.deepEqual(nb.spec, {
      image: 'quay.io/jupyter/minimal-notebook',
      interface: 'lab',
      resources: { gpu: 0 },
      storage: { size: '10Gi', retain: true },
      env: {},
      idleTimeoutMinutes: 60,
      stopped: false,
      baseUrl: '/',
    });
  });
});

describe('ganymede render on a real API server', () => {
  const notebooks = [
    notebookYaml('plain', 'x', { image: 'quay.io/jupyter/minimal-notebook:latest' }),
    notebookYaml('everything', 'x', {
      image: 'quay.io/jupyter/scipy-notebook:2025-06-02',
      interface: 'notebook',
      resources: { cpu: '500m', memory: '1Gi', gpu: 1 },
      storage: { size: '2Gi', className: 'standard', subPath: 'work/alice', retain: false },
      env: { A: '1', 'my.var': 'x' },
      baseUrl: '/user/al%C3%AFce/gpu/',
      ingress: { host: 'notebooks.example.org', className: 'nginx', tls: { secretName: 'cert' } },
      serviceAccountName: 'default',
    }),
    notebookYaml('1st.Unusual-name', 'x', {
      image: 'i',
      storage: { existingClaim: 'shared' },
    }).replace('1st.Unusual-name', '1st.unusual-name'),
  ].join('\n---\n');

  for (const output of ['yaml', 'json'] as const) {
    it(`every rendered object passes a server-side dry run (${output}), restricted namespace, no warnings`, async () => {
      const text = render(['-f', '-', '-n', ns, '-o', output], notebooks);
      const r = await cluster.kubectl(
        ['apply', '--dry-run=server', '--validate=strict', '-f', '-'],
        text,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', 'no warnings (Pod Security, unknown fields, deprecations)');
      const created = r.stdout.trim().split('\n');
      assert.equal(created.length, 5 + 6 + 4, r.stdout);
      assert.ok(
        created.every((l) => / (created|configured) \(server dry run\)$/.test(l)),
        r.stdout,
      );
    });
  }

  it('the pod the Deployment makes is admitted by the restricted Pod Security Standard', async () => {
    const list = JSON.parse(render(['-f', '-', '-n', ns, '-o', 'json'], notebooks)) as {
      items: {
        kind: string;
        metadata: { name: string };
        spec: { template: { metadata: unknown; spec: unknown } };
      }[];
    };
    for (const d of list.items.filter((i) => i.kind === 'Deployment')) {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${d.metadata.name}-probe`, namespace: ns },
        spec: d.spec.template.spec,
      };
      const r = await cluster.kubectl(
        ['create', '--dry-run=server', '-f', '-'],
        JSON.stringify(pod),
      );
      assert.equal(r.code, 0, r.stderr);
    }
    // And the check can fail: a privileged variant is refused by the same namespace.
    const bad = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'privileged', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'i', securityContext: { privileged: true } }] },
    };
    const r = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(bad));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /violates PodSecurity "restricted/);
  });
});
