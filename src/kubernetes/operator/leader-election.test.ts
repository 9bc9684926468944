import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Lease } from '../plain.ts';
import { decide, defaultTiming, microTime, type Decision } from './leader-election.ts';

function leaseOf(d: Decision): Lease {
  assert.notEqual(d.action, 'wait');
  assert.ok('lease' in d);
  return d.lease;
}

const base = { identity: 'me', namespace: 'ns', name: 'op', timing: defaultTiming };

function lease(holder: string, transitions = 0): Lease {
  return {
    metadata: { name: 'op', namespace: 'ns', resourceVersion: '7' },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      renewTime: microTime(new Date(0)),
      leaseTransitions: transitions,
    },
  };
}

describe('leader election decision', () => {
  it('creates a missing Lease', () => {
    const d = decide({ ...base, current: undefined, observation: undefined, nowMs: 1000 });
    assert.equal(d.action, 'create');
    assert.equal(leaseOf(d).spec?.holderIdentity, 'me');
  });

  it('waits while another holder renewed within the lease duration, by our own clock', () => {
    const current = lease('other');
    const seen = { record: 'x', seenAt: 100_000 };
    assert.deepEqual(decide({ ...base, current, observation: seen, nowMs: 100_000 + 14_999 }), {
      action: 'wait',
      holder: 'other',
    });
    const taken = decide({ ...base, current, observation: seen, nowMs: 100_000 + 15_001 });
    assert.equal(leaseOf(taken).spec?.holderIdentity, 'me');
    assert.equal(leaseOf(taken).spec?.leaseTransitions, 1);
    assert.equal(leaseOf(taken).metadata?.resourceVersion, '7', 'optimistic concurrency');
  });

  it('renews its own Lease and takes a released one at once', () => {
    const own = decide({
      ...base,
      current: lease('me', 3),
      observation: { record: 'x', seenAt: 0 },
      nowMs: 1,
    });
    assert.equal(leaseOf(own).spec?.leaseTransitions, 3);
    const released = decide({
      ...base,
      current: lease(''),
      observation: { record: 'x', seenAt: 0 },
      nowMs: 1,
    });
    assert.equal(leaseOf(released).spec?.holderIdentity, 'me');
  });

  it('writes MicroTime with six fractional digits', () => {
    assert.equal(microTime(new Date('2026-01-01T00:00:00.123Z')), '2026-01-01T00:00:00.123000Z');
  });
});
