import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { notebookNameFor, notebookObjectNames } from './object-names.ts';

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const user = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 });
const server = fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 30 }));

describe('notebook object names', () => {
  it('are valid for their kinds and never shared by two (user, server) pairs', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(user, server), {
          minLength: 2,
          maxLength: 30,
          selector: (p) => JSON.stringify(p),
        }),
        (pairs) => {
          const resources = pairs.map(([u, s]) => notebookNameFor(u, s));
          const objects = resources.map((r) => notebookObjectNames(r));
          for (const [i, r] of resources.entries()) {
            assert.ok(r.length <= 253 && dns1123Subdomain.test(r), r);
            const o = objects[i]!;
            // Service names and label values: DNS-1035, at most 63 characters.
            assert.ok(o.base.length <= 63 && dns1035Label.test(o.base), o.base);
            assert.ok(o.claim.length <= 63 && dns1123Subdomain.test(o.claim), o.claim);
          }
          assert.equal(new Set(resources).size, pairs.length);
          assert.equal(new Set(objects.map((o) => o.base)).size, pairs.length);
          assert.equal(new Set(objects.map((o) => o.claim)).size, pairs.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('derive safe names from any valid resource name, even long or dotted ones', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
    const resourceName = fc.array(label, { minLength: 1, maxLength: 12 }).map((ls) => ls.join('.'));
    fc.assert(
      fc.property(
        fc.uniqueArray(
          resourceName.filter((n) => n.length <= 253),
          { minLength: 2 },
        ),
        (names) => {
          const bases = names.map((n) => notebookObjectNames(n).base);
          for (const b of bases) assert.ok(b.length <= 58 && dns1035Label.test(b), b);
          assert.equal(new Set(bases).size, names.length);
        },
      ),
    );
  });

  it('keep readable names readable', () => {
    assert.deepEqual(notebookObjectNames('alice'), {
      base: 'alice',
      claim: 'alice-home',
      secret: 'alice',
      hubSecret: 'alice-hub',
    });
    assert.equal(notebookNameFor('alice', ''), 'alice');
  });
});
