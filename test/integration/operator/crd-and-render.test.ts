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
      /spec\.env: .*JUPYTER_TOKEN, .* are set by Ganymede/,
    ],
    [
      'a JupyterHub variable the hub sets',
      { image: 'i', env: { JUPYTERHUB_API_TOKEN: 'x' } },
      /spec\.env: .*JUPYTERHUB_API_TOKEN.* are set by Ganymede/,
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
    [
      'a memory limit below the request',
      { image: 'i', resources: { memory: '2Gi', memoryLimit: '1Gi' } },
      /spec\.resources\.memoryLimit: Invalid value: .*must not be below memory/,
    ],
    [
      'a CPU limit below the request',
      { image: 'i', resources: { cpu: '2', cpuLimit: '500m' } },
      /spec\.resources\.cpuLimit: Invalid value: .*must not be below cpu/,
    ],
    [
      'a memory limit without a request',
      { image: 'i', resources: { memoryLimit: '1Gi' } },
      /spec\.resources\.memory: Invalid value: .*required with memoryLimit/,
    ],
    [
      'a GPU resource that is not an extended resource name',
      { image: 'i', resources: { gpu: 1, gpuResource: 'gpu' } },
      /spec\.resources\.gpuResource/,
    ],
    [
      'a volume with two sources',
      {
        image: 'i',
        extraVolumes: [
          {
            name: 'd',
            mountPath: '/data',
            configMap: { name: 'c' },
            secret: { secretName: 's' },
          },
        ],
      },
      /spec\.extraVolumes\[0\]: Invalid value: .*exactly one of persistentVolumeClaim, configMap or secret/,
    ],
    [
      'a volume mounted over the home directory',
      {
        image: 'i',
        extraVolumes: [{ name: 'd', mountPath: '/home/jovyan', configMap: { name: 'c' } }],
      },
      /spec\.extraVolumes\[0\]\.mountPath: Invalid value: .*is taken/,
    ],
    [
      'a mount path climbing out',
      {
        image: 'i',
        extraVolumes: [{ name: 'd', mountPath: '/data/../etc', configMap: { name: 'c' } }],
      },
      /spec\.extraVolumes\[0\]\.mountPath: Invalid value: .*"\.\." parts/,
    ],
    [
      'a volume named like the home volume',
      { image: 'i', extraVolumes: [{ name: 'home', mountPath: '/d', configMap: { name: 'c' } }] },
      /spec\.extraVolumes\[0\]\.name: Invalid value: .*is taken/,
    ],
    [
      'two volumes of one name',
      {
        image: 'i',
        extraVolumes: [
          { name: 'd', mountPath: '/a', configMap: { name: 'c' } },
          { name: 'd', mountPath: '/b', configMap: { name: 'c' } },
        ],
      },
      /spec\.extraVolumes: Invalid value: .*volume names must be unique/,
    ],
    [
      "a label in Ganymede's own key space",
      { image: 'i', extraLabels: { 'ganymede.dev/notebook': 'x' } },
      /spec\.extraLabels: Invalid value: .*is set by Ganymede/,
    ],
    [
      'a toleration with an unknown effect',
      { image: 'i', tolerations: [{ key: 'k', effect: 'Sometimes' }] },
      /spec\.tolerations\[0\]\.effect: Unsupported value/,
    ],
    [
      'a default URL climbing out',
      { image: 'i', defaultUrl: '/lab/../../hub' },
      /spec\.defaultUrl: Invalid value: .*"\.\." parts/,
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

/** Every pod option at once (issue 15): each must land in the pod the API server admits. */
const podOptions = {
  nodeSelector: { 'example.org/pool': 'gpu' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'example.org/zone', operator: 'In', values: ['a'] }] },
        ],
      },
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 10,
          podAffinityTerm: {
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'jupyter-notebook' } },
            topologyKey: 'kubernetes.io/hostname',
          },
        },
      ],
    },
  },
  priorityClassName: 'notebooks-test',
  imagePullSecrets: ['registry'],
  shmSize: '512Mi',
  extraVolumes: [
    {
      name: 'datasets',
      mountPath: '/home/jovyan/datasets',
      readOnly: true,
      persistentVolumeClaim: { claimName: 'datasets' },
    },
    {
      name: 'group',
      mountPath: '/home/jovyan/group',
      subPath: 'physics',
      persistentVolumeClaim: { claimName: 'group-share' },
    },
    { name: 'course', mountPath: '/etc/course', configMap: { name: 'course' } },
    { name: 'keys', mountPath: '/etc/keys', secret: { secretName: 'keys' } },
  ],
  extraLabels: { 'example.org/cost-centre': 'physics' },
  extraAnnotations: { 'example.org/owner': 'Dr. Ada' },
  defaultUrl: '/lab/tree/README.ipynb',
};

describe('ganymede render on a real API server', () => {
  before(async () => {
    // The Priority admission plugin refuses a pod naming a class that does not exist.
    await kubectlOk(
      cluster,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'notebooks-test' },
        value: 100,
      }),
    );
  });

  const notebooks = [
    notebookYaml('plain', 'x', { image: 'quay.io/jupyter/minimal-notebook:latest' }),
    notebookYaml('everything', 'x', {
      image: 'quay.io/jupyter/scipy-notebook:2025-06-02',
      interface: 'notebook',
      resources: {
        cpu: '500m',
        cpuLimit: '2',
        memory: '1Gi',
        memoryLimit: '2Gi',
        gpu: 1,
        gpuResource: 'nvidia.com/mig-1g.5gb',
      },
      storage: { size: '2Gi', className: 'standard', subPath: 'work/alice', retain: false },
      env: { A: '1', 'my.var': 'x' },
      baseUrl: '/user/al%C3%AFce/gpu/',
      ingress: { host: 'notebooks.example.org', className: 'nginx', tls: { secretName: 'cert' } },
      serviceAccountName: 'default',
      ...podOptions,
    }),
    notebookYaml('1st.Unusual-name', 'x', {
      image: 'i',
      storage: { existingClaim: 'shared' },
    }).replace('1st.Unusual-name', '1st.unusual-name'),
  ].join('\n---\n');

  for (const output of ['yaml', 'json'] as const) {
    it(`every rendered object passes a server-side dry run (${output}), restricted namespace, no warnings`, async () => {
      const text = render(['-f', '-', '-n', ns, '-o', output, '--with-secret'], notebooks);
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
        metadata: {
          ...(d.spec.template.metadata as object),
          name: `${d.metadata.name}-probe`,
          namespace: ns,
        },
        spec: d.spec.template.spec,
      };
      const r = await cluster.kubectl(
        ['create', '--dry-run=server', '-o', 'json', '-f', '-'],
        JSON.stringify(pod),
      );
      assert.equal(r.code, 0, r.stderr);
      if (d.metadata.name === 'everything')
        assertPodOptionsLanded(JSON.parse(r.stdout) as AdmittedPod);
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

interface AdmittedPod {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    nodeSelector?: Record<string, string>;
    tolerations?: { key?: string }[];
    affinity?: { nodeAffinity?: unknown; podAntiAffinity?: unknown };
    priorityClassName?: string;
    priority?: number;
    imagePullSecrets?: { name: string }[];
    volumes?: { name: string; emptyDir?: { medium?: string; sizeLimit?: string } }[];
    containers: {
      args?: string[];
      resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
      volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
    }[];
  };
}

/** What the API server admitted carries every option, as the API server itself filled it in
 * (the priority value comes from the PriorityClass: proof the class was resolved). */
function assertPodOptionsLanded(pod: AdmittedPod): void {
  const { spec, metadata } = pod;
  assert.equal(metadata.labels?.['example.org/cost-centre'], 'physics');
  assert.equal(metadata.labels['ganymede.dev/notebook'], 'everything');
  assert.equal(metadata.annotations?.['example.org/owner'], 'Dr. Ada');
  const c = spec.containers[0];
  assert.ok(c);
  assert.deepEqual(spec.nodeSelector, podOptions.nodeSelector);
  assert.ok(spec.tolerations?.some((t) => t.key === 'nvidia.com/gpu'));
  assert.deepEqual(spec.affinity, podOptions.affinity);
  assert.equal(spec.priorityClassName, 'notebooks-test');
  assert.equal(spec.priority, 100);
  assert.deepEqual(spec.imagePullSecrets, [{ name: 'registry' }]);
  assert.deepEqual(spec.volumes?.find((v) => v.name === 'dshm')?.emptyDir, {
    medium: 'Memory',
    sizeLimit: '512Mi',
  });
  assert.deepEqual(
    c.volumeMounts?.filter((m) => m.name !== 'home' && !m.name.startsWith('kube-api-access')),
    [
      { name: 'dshm', mountPath: '/dev/shm' },
      { name: 'datasets', mountPath: '/home/jovyan/datasets', readOnly: true },
      { name: 'group', mountPath: '/home/jovyan/group', subPath: 'physics' },
      { name: 'course', mountPath: '/etc/course' },
      { name: 'keys', mountPath: '/etc/keys' },
    ],
  );
  assert.deepEqual(c.resources, {
    requests: { cpu: '500m', memory: '1Gi', 'nvidia.com/mig-1g.5gb': '1' },
    limits: { cpu: '2', memory: '2Gi', 'nvidia.com/mig-1g.5gb': '1' },
  });
  assert.ok(c.args?.includes('--ServerApp.default_url=/lab/tree/README.ipynb'));
}
