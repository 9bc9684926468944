/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
 * Fixtures are plain objects; client-node's model classes carry only static metadata. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { fitPod } from './scheduling.ts';

const node = {
  labels: { 'kubernetes.io/os': 'linux' },
  allocatable: { cpu: '2', memory: '4Gi', pods: '3' },
};
const withRequests = (cpu: string, memory: string, phase = 'Running'): V1Pod => ({
  spec: { containers: [{ name: 'c', resources: { requests: { cpu, memory } } }] },
  status: { phase },
});

describe('fitPod', () => {
  it('fits while requests stay within allocatable; finished pods free theirs', () => {
    assert.deepEqual(fitPod(withRequests('1', '1Gi'), node, [withRequests('1', '1Gi')]), {
      fits: true,
    });
    assert.deepEqual(
      fitPod(withRequests('1', '1Gi'), node, [withRequests('1500m', '1Gi', 'Succeeded')]),
      { fits: true },
    );
  });

  it('explains why not, as kube-scheduler does', () => {
    assert.deepEqual(fitPod(withRequests('1500m', '5Gi'), node, [withRequests('1', '0')]), {
      fits: false,
      message: '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
    });
    const selective: V1Pod = {
      spec: { containers: [{ name: 'c' }], nodeSelector: { gpu: 'yes' } },
    };
    assert.deepEqual(fitPod(selective, node, []), {
      fits: false,
      message: "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
    });
  });
});
