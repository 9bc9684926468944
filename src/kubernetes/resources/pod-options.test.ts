import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNotebookResource } from '../../notebook-spec/resource.ts';
import type { NotebookSpecInput } from '../../notebook-spec/schema.ts';
import { buildDeployment } from './deployment.ts';
import { defaultBuildSettings } from './settings.ts';

function deploymentFor(spec: Partial<NotebookSpecInput>) {
  const d = buildDeployment(
    parseNotebookResource({
      apiVersion: 'ganymede.dev/v1alpha1',
      kind: 'JupyterNotebook',
      metadata: { name: 'alice', namespace: 'team' },
      spec: { image: 'img', ...spec },
    }),
    defaultBuildSettings,
  );
  const pod = d.spec?.template.spec;
  assert.ok(pod);
  return { pod, meta: d.spec?.template.metadata, container: pod.containers[0]! };
}

describe('pod options in the Deployment', () => {
  it('copies placement and pull secrets into the pod spec', () => {
    const { pod } = deploymentFor({
      nodeSelector: { pool: 'gpu' },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, preference: { matchExpressions: [{ key: 'z', operator: 'Exists' }] } },
          ],
        },
      },
      priorityClassName: 'notebooks',
      imagePullSecrets: ['registry'],
    });
    assert.deepEqual(pod.nodeSelector, { pool: 'gpu' });
    assert.deepEqual(pod.tolerations, [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.equal(
      pod.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.weight,
      10,
    );
    assert.equal(pod.priorityClassName, 'notebooks');
    assert.deepEqual(pod.imagePullSecrets, [{ name: 'registry' }]);
  });

  it('sets none of them when the spec sets none', () => {
    const { pod } = deploymentFor({});
    for (const key of [
      'nodeSelector',
      'tolerations',
      'affinity',
      'priorityClassName',
      'imagePullSecrets',
    ]) {
      assert.equal(key in pod, false, key);
    }
    assert.deepEqual(
      pod.volumes?.map((v) => v.name),
      ['home'],
    );
  });

  it('mounts shared data, a memory-backed /dev/shm, ConfigMaps and Secrets', () => {
    const { pod, container } = deploymentFor({
      shmSize: '1Gi',
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
          persistentVolumeClaim: { claimName: 'groups' },
        },
        { name: 'conf', mountPath: '/etc/course', configMap: { name: 'course' } },
        { name: 'keys', mountPath: '/etc/keys', secret: { secretName: 'keys' } },
      ],
    });
    assert.deepEqual(pod.volumes?.slice(1), [
      { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
      { name: 'datasets', persistentVolumeClaim: { claimName: 'datasets', readOnly: true } },
      { name: 'group', persistentVolumeClaim: { claimName: 'groups' } },
      { name: 'conf', configMap: { name: 'course' } },
      { name: 'keys', secret: { secretName: 'keys' } },
    ]);
    assert.deepEqual(container.volumeMounts?.slice(1), [
      { name: 'dshm', mountPath: '/dev/shm' },
      { name: 'datasets', mountPath: '/home/jovyan/datasets', readOnly: true },
      { name: 'group', mountPath: '/home/jovyan/group', subPath: 'physics' },
      { name: 'conf', mountPath: '/etc/course' },
      { name: 'keys', mountPath: '/etc/keys' },
    ]);
  });

  it('sets limits apart from requests, and the GPU under its own resource name', () => {
    const { container } = deploymentFor({
      resources: {
        cpu: '500m',
        cpuLimit: '2',
        memory: '1Gi',
        memoryLimit: '3Gi',
        gpu: 2,
        gpuResource: 'amd.com/gpu',
      },
    });
    assert.deepEqual(container.resources, {
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '2', memory: '3Gi', 'amd.com/gpu': '2' },
    });
    const plain = deploymentFor({ resources: { cpu: '1', memory: '1Gi', gpu: 1 } }).container;
    assert.deepEqual(plain.resources?.limits, { memory: '1Gi', 'nvidia.com/gpu': '1' });
  });

  it("adds extra labels and annotations without replacing Ganymede's", () => {
    const { meta } = deploymentFor({
      extraLabels: { 'example.org/team': 'physics' },
      extraAnnotations: { 'example.org/owner': 'Ada' },
    });
    const labels: Record<string, string> = { ...meta?.labels };
    const annotations: Record<string, string> = { ...meta?.annotations };
    assert.equal(labels['example.org/team'], 'physics');
    assert.equal(labels['ganymede.dev/notebook'], 'alice');
    assert.equal(annotations['example.org/owner'], 'Ada');
    assert.equal(annotations['ganymede.dev/notebook-name'], 'alice');
  });

  it('opens on the default URL', () => {
    const { container } = deploymentFor({ defaultUrl: '/lab/tree/README.ipynb' });
    assert.ok(container.args?.includes('--ServerApp.default_url=/lab/tree/README.ipynb'));
    assert.ok(!deploymentFor({}).container.args?.some((a) => a.includes('default_url')));
  });
});
