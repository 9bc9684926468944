import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeHealth, type NodeLike } from './node-health.ts';

const t0 = Date.parse('2026-01-01T10:00:00.000Z');
const node = (name: string, ready: string, since = t0): NodeLike => ({
  metadata: { name },
  status: {
    conditions: [
      { type: 'Ready', status: ready, lastTransitionTime: new Date(since).toISOString() },
    ],
  },
});

describe('node health (lost-node judgement)', () => {
  it('knows nothing before the first list (no permission to list nodes: never lost)', () => {
    const h = new NodeHealth(60_000);
    assert.equal(h.state('n1', t0), 'unknown');
  });

  it('a silent node turns lost only after the wait, counted from its Ready transition', () => {
    const h = new NodeHealth(60_000);
    h.update([node('n1', 'True'), node('n2', 'Unknown', t0)], t0 + 1_000);
    assert.equal(h.state('n1', t0 + 1_000), 'ready');
    assert.equal(h.state('n2', t0 + 1_000), 'silent');
    assert.equal(h.state('n2', t0 + 59_999), 'silent');
    assert.equal(h.state('n2', t0 + 60_000), 'lost');
    assert.equal(h.lostAt('n2'), t0 + 60_000);
    assert.equal(h.lostAt('n1'), undefined);
    assert.equal(h.state('n3', t0), 'unknown', 'a node newer than the list is not judged');
  });

  it('a node back to Ready before the wait (an API server outage) was never lost', () => {
    const h = new NodeHealth(60_000);
    h.update([node('n1', 'True')], t0);
    assert.deepEqual(h.update([node('n1', 'Unknown', t0 + 5_000)], t0 + 6_000), ['n1']);
    assert.deepEqual(h.update([node('n1', 'True')], t0 + 16_000), ['n1']);
    assert.equal(h.state('n1', t0 + 200_000), 'ready');
  });

  it('reports a change when time alone turns a node lost, and a deleted node at once', () => {
    const h = new NodeHealth(60_000);
    assert.deepEqual(h.update([node('a', 'True'), node('b', 'True')], t0), [], 'first list');
    assert.deepEqual(h.update([node('a', 'Unknown', t0 + 1_000), node('b', 'True')], t0 + 2_000), [
      'a',
    ]);
    assert.deepEqual(
      h.update([node('a', 'Unknown', t0 + 1_000), node('b', 'True')], t0 + 30_000),
      [],
    );
    assert.deepEqual(h.update([node('a', 'Unknown', t0 + 1_000), node('b', 'True')], t0 + 62_000), [
      'a',
    ]);
    assert.deepEqual(h.update([node('a', 'Unknown', t0 + 1_000)], t0 + 63_000), ['b']);
    assert.equal(h.state('b', t0 + 63_000), 'lost', 'deleted: its machine is gone');
    h.update([node('a', 'True'), node('b', 'True')], t0 + 90_000);
    assert.equal(h.state('b', t0 + 90_000), 'ready', 'registered again under the same name');
  });
});
