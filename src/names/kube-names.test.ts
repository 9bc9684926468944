import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { kubeName, kubeNameOf, kubeServiceName } from './kube-names.ts';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('kubeName', () => {
  it('keeps valid names and hashes the rest into valid labels, injectively', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 80 }), { minLength: 2 }),
        (raws) => {
          const names = raws.map((r) => kubeName(r));
          for (const n of names) assert.ok(n.length <= 63 && dns1123Label.test(n), n);
          assert.equal(new Set(names).size, raws.length);
        },
      ),
    );
    assert.equal(kubeName('alice'), 'alice');
    assert.match(kubeName('Alice'), /^alice--[0-9a-f]{10}$/);
  });
});

describe('kubeServiceName', () => {
  it('always starts with a letter and never merges two names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 80 }), { minLength: 2 }),
        fc.integer({ min: 13, max: 63 }),
        (raws, max) => {
          const names = raws.map((r) => kubeServiceName(r, max));
          for (const n of names)
            assert.ok(n.length <= max && dns1035Label.test(n), `${n} (max ${max})`);
          assert.equal(new Set(names).size, raws.length);
        },
      ),
    );
  });

  it('keeps DNS-1035 names and hashes names that start with a digit', () => {
    assert.equal(kubeServiceName('alice'), 'alice');
    assert.match(kubeServiceName('1alice'), /^n1alice--[0-9a-f]{10}$/);
    assert.notEqual(kubeServiceName('1alice'), kubeName('1alice'));
  });
});

describe('kubeNameOf', () => {
  it('never gives two (user, server) pairs one name', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(
            fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
            fc.string({ unit: 'grapheme', maxLength: 20 }),
          ),
          {
            minLength: 2,
            selector: ([u, s]) => JSON.stringify([u, s]),
          },
        ),
        (pairs) => {
          const names = pairs.map((p) => kubeNameOf(p));
          for (const n of names) assert.ok(dns1123Label.test(n), n);
          assert.equal(new Set(names).size, pairs.length);
        },
      ),
    );
  });
});
