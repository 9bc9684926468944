import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuOf, startCapacity } from './start-capacity.ts';

const node = (cpu: string, ready = true, unschedulable = false) => ({
  spec: { unschedulable },
  status: {
    allocatable: { cpu },
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  },
});

describe('start capacity (maxStarting: auto)', () => {
  it('reads CPU quantities', () => {
    assert.equal(cpuOf('2'), 2);
    assert.equal(cpuOf('1500m'), 1.5);
    assert.equal(cpuOf('0.5'), 0.5);
    assert.equal(cpuOf('lots'), 0);
    assert.equal(cpuOf(undefined), 0);
  });

  it('is two per CPU of Ready, schedulable nodes, at least two', () => {
    assert.equal(startCapacity([node('2')]), 4);
    assert.equal(startCapacity([node('2'), node('3500m')]), 11);
    assert.equal(startCapacity([node('8', false), node('8', true, true), node('1')]), 2);
    assert.equal(startCapacity([node('500m')]), 2);
    assert.equal(startCapacity([]), 2);
  });
});
