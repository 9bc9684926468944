import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from '../plain.ts';
import { firstLooks } from './first-look.ts';

const nb = (name: string, spec: { stopped: boolean }, status?: Record<string, unknown>) => ({
  metadata: { name, namespace: 'ns', generation: 2 },
  spec,
  ...(status ? { status: { observedGeneration: 2, ...status } } : {}),
});
const pod = (uid: string, ready: boolean, deleting = false): Pod => ({
  metadata: { uid, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('a new leader first looks', () => {
  it('at once at anything unsettled; settled ones spread over the time given', () => {
    const pods: Record<string, Pod[]> = {
      'ns/running': [pod('p1', true)],
      'ns/pod-gone': [],
      'ns/not-ready': [pod('p3', false)],
      'ns/deleting': [pod('p4', true, true)],
      'ns/stopping': [pod('p5', true)],
      'ns/running2': [pod('p6', true)],
    };
    const looks = firstLooks(
      [
        nb('running', { stopped: false }, { phase: 'Running', readyPod: 'p1' }),
        nb('pod-gone', { stopped: false }, { phase: 'Running', readyPod: 'p2' }),
        nb('not-ready', { stopped: false }, { phase: 'Running', readyPod: 'p3' }),
        nb('deleting', { stopped: false }, { phase: 'Running', readyPod: 'p4' }),
        nb('stopping', { stopped: true }, { phase: 'Stopped' }),
        nb('stopped', { stopped: true }, { phase: 'Stopped' }),
        nb('starting', { stopped: false }, { phase: 'Starting' }),
        nb('new', { stopped: false }),
        {
          ...nb('changed', { stopped: false }, { phase: 'Running', readyPod: 'p6' }),
          metadata: { name: 'changed', namespace: 'ns', generation: 3 },
        },
        nb('running2', { stopped: false }, { phase: 'Running', readyPod: 'p6' }),
      ],
      (key) => pods[key] ?? [],
      5000,
    );
    const at = Object.fromEntries(looks.map((l) => [l.key, l.afterMs]));
    for (const k of [
      'pod-gone',
      'not-ready',
      'deleting',
      'stopping',
      'starting',
      'new',
      'changed',
    ]) {
      assert.equal(at[`ns/${k}`], 0, k);
    }
    assert.deepEqual([at['ns/running'], at['ns/stopped'], at['ns/running2']], [1667, 3333, 5000]);
    assert.equal(looks.length, 10);
  });
});
