import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { isSafeLabel, kubeName, kubeNameOf } from './kube-names.ts';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

it('keeps names that are already safe labels', () => {
  for (const n of ['alice', 'bob-2', 'a', 'x1']) assert.equal(kubeName(n), n);
});

it('hashes anything else, and the result is always a valid label', () => {
  assert.match(kubeName('Alice'), /^alice--[0-9a-f]{10}$/);
  assert.match(kubeName('日本語'), /^x--[0-9a-f]{10}$/);
  assert.match(kubeName('a--b'), /^a-b--[0-9a-f]{10}$/);
  assert.equal(kubeName('y'.repeat(200)).length, 63);
});

it('never maps two different names to one label (property)', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      (a, b) => {
        const ka = kubeName(a);
        assert.ok(ka.length <= 63 && dnsLabel.test(ka), `${JSON.stringify(a)} → ${ka}`);
        if (a !== b) assert.notEqual(ka, kubeName(b));
      },
    ),
    { numRuns: 2000 },
  );
});

it('a kept name never equals a hashed one, because only hashed names contain "--"', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (raw) => {
      const k = kubeName(raw);
      assert.equal(isSafeLabel(raw) ? k === raw : k.includes('--'), true);
    }),
  );
});

it('server names combine with users without ambiguity', () => {
  assert.equal(kubeNameOf(['alice', '']), 'alice');
  assert.notEqual(kubeNameOf(['a-b', 'c']), kubeNameOf(['a', 'b-c']));
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (u, s) => {
      const name = kubeNameOf([u, s], 50);
      assert.ok(name.length <= 50 && dnsLabel.test(name), name);
    }),
  );
});
