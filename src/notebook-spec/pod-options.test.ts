import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { profileSchema } from '../config/schema.ts';
import { isGanymedeError } from '../errors/ganymede-error.ts';
import { specFromProfile } from './from-profile.ts';
import { quantityValue } from './quantity.ts';
import { parseNotebookSpec } from './resource.ts';
import { notebookSpecSchema } from './schema.ts';

function fieldOf(spec: unknown): string | undefined {
  try {
    parseNotebookSpec(spec);
  } catch (e) {
    if (isGanymedeError(e)) return e.field;
    throw e;
  }
  assert.fail(`expected a validation error for ${JSON.stringify(spec)}`);
}

const claim = { persistentVolumeClaim: { claimName: 'datasets' } };

describe('pod options in the notebook spec', () => {
  it('accepts every option a platform team sets on day one', () => {
    const spec = notebookSpecSchema.parse({
      image: 'img',
      resources: {
        cpu: '500m',
        cpuLimit: '2',
        memory: '1Gi',
        memoryLimit: '2Gi',
        gpu: 1,
        gpuResource: 'nvidia.com/mig-1g.5gb',
      },
      nodeSelector: { 'cloud.google.com/gke-nodepool': 'gpu' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
            ],
          },
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app: 'x' } },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
      priorityClassName: 'notebooks',
      imagePullSecrets: ['registry'],
      shmSize: '1Gi',
      extraVolumes: [
        { name: 'datasets', mountPath: '/home/jovyan/datasets', readOnly: true, ...claim },
        {
          name: 'group',
          mountPath: '/home/jovyan/group',
          persistentVolumeClaim: { claimName: 'physics' },
        },
        { name: 'conf', mountPath: '/etc/course', configMap: { name: 'course' } },
        { name: 'keys', mountPath: '/etc/keys', secret: { secretName: 'keys' } },
      ],
      extraLabels: { 'example.org/cost-centre': 'physics' },
      extraAnnotations: { 'example.org/owner': 'Dr. Ada' },
      defaultUrl: '/lab/tree/README.ipynb',
    });
    assert.equal(spec.extraVolumes?.[1]?.readOnly, false);
    assert.equal(spec.resources.gpuResource, 'nvidia.com/mig-1g.5gb');
  });

  it('refuses what Kubernetes or Ganymede would not take, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ resources: { cpu: '2', cpuLimit: '1500m' } }, 'spec.resources.cpuLimit'],
      [{ resources: { memory: '2Gi', memoryLimit: '1Gi' } }, 'spec.resources.memoryLimit'],
      [{ resources: { memoryLimit: '1Gi' } }, 'spec.resources.memory'],
      [{ resources: { gpu: 1, gpuResource: 'gpu' } }, 'spec.resources.gpuResource'],
      [{ nodeSelector: { 'bad key!': 'x' } }, 'spec.nodeSelector'],
      [{ tolerations: [{ operator: 'Maybe' }] }, 'spec.tolerations[0].operator'],
      [{ priorityClassName: 'High' }, 'spec.priorityClassName'],
      [{ imagePullSecrets: ['a b'] }, 'spec.imagePullSecrets[0]'],
      [{ shmSize: 'big' }, 'spec.shmSize'],
      [{ extraVolumes: [{ name: 'd', mountPath: '/data' }] }, 'spec.extraVolumes[0]'],
      [
        {
          extraVolumes: [{ name: 'd', mountPath: '/data', ...claim, configMap: { name: 'c' } }],
        },
        'spec.extraVolumes[0]',
      ],
      [
        { extraVolumes: [{ name: 'home', mountPath: '/data', ...claim }] },
        'spec.extraVolumes[0].name',
      ],
      [
        { extraVolumes: [{ name: 'd', mountPath: '/home/jovyan', ...claim }] },
        'spec.extraVolumes[0].mountPath',
      ],
      [
        { extraVolumes: [{ name: 'd', mountPath: '/data/../etc', ...claim }] },
        'spec.extraVolumes[0].mountPath',
      ],
      [
        {
          extraVolumes: [
            { name: 'd', mountPath: '/a', ...claim },
            { name: 'd', mountPath: '/b', ...claim },
          ],
        },
        'spec.extraVolumes',
      ],
      [{ extraLabels: { 'ganymede.dev/notebook': 'x' } }, 'spec.extraLabels'],
      [{ extraLabels: { 'app.kubernetes.io/name': 'x' } }, 'spec.extraLabels'],
      [{ extraLabels: { team: 'not a value' } }, 'spec.extraLabels.team'],
      [{ defaultUrl: 'lab' }, 'spec.defaultUrl'],
      [{ defaultUrl: '//evil.example' }, 'spec.defaultUrl'],
      [{ defaultUrl: '/lab/../../hub' }, 'spec.defaultUrl'],
      [
        {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] },
            },
          },
        },
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
      ],
    ];
    for (const [extra, field] of cases) {
      const got = fieldOf({ image: 'img', ...(extra as object) });
      assert.ok(
        got?.startsWith(field),
        `${JSON.stringify(extra)}: expected ${field}, got ${String(got)}`,
      );
    }
  });
});

describe('pod options in profiles', () => {
  it('are the spec fields under the same names, copied into the spec', () => {
    const profile = profileSchema.parse({
      name: 'gpu',
      displayName: 'GPU',
      cpu: '1',
      cpuLimit: '4',
      memory: '4Gi',
      memoryLimit: '8Gi',
      gpu: 1,
      gpuResource: 'amd.com/gpu',
      nodeSelector: { pool: 'gpu' },
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
      shmSize: '2Gi',
      extraVolumes: [
        { name: 'datasets', mountPath: '/home/jovyan/data', readOnly: true, ...claim },
      ],
      defaultUrl: '/lab/tree/README.ipynb',
    });
    const spec = notebookSpecSchema.parse(specFromProfile(profile, { baseUrl: '/user/a/' }));
    assert.deepEqual(spec.resources, {
      cpu: '1',
      cpuLimit: '4',
      memory: '4Gi',
      memoryLimit: '8Gi',
      gpu: 1,
      gpuResource: 'amd.com/gpu',
    });
    assert.deepEqual(spec.nodeSelector, { pool: 'gpu' });
    assert.deepEqual(spec.tolerations, [{ key: 'gpu', operator: 'Exists' }]);
    assert.equal(spec.shmSize, '2Gi');
    assert.equal(spec.extraVolumes?.[0]?.readOnly, true);
    assert.equal(spec.defaultUrl, '/lab/tree/README.ipynb');
  });

  it('refuses a limit below the request in the profile, naming the profile field', () => {
    const r = profileSchema.safeParse({
      name: 'p',
      displayName: 'P',
      memory: '4Gi',
      memoryLimit: '1Gi',
    });
    assert.equal(r.success, false);
    assert.deepEqual(r.error.issues[0]?.path, ['memoryLimit']);
  });
});

describe('quantityValue', () => {
  it('reads the suffixes Kubernetes writes', () => {
    assert.equal(quantityValue('1500m'), 1.5);
    assert.equal(quantityValue('2Gi'), 2 * 2 ** 30);
    assert.equal(quantityValue('2G'), 2e9);
    assert.equal(quantityValue('0.5'), 0.5);
    assert.ok(Number.isNaN(quantityValue('two')));
  });
});
