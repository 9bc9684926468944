import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelOfHost, notebookHost, notebookHostLabel } from './notebook-host.ts';

test('a readable user keeps its name as the host label', () => {
  assert.equal(
    notebookHost({ user: 'alice', server: '' }, 'nb.example.org'),
    'alice.nb.example.org',
  );
});

test('Unicode and upper-case names become distinct DNS-1035 labels', () => {
  const a = notebookHostLabel({ user: 'Ärger', server: '' });
  const b = notebookHostLabel({ user: 'ärger', server: '' });
  assert.notEqual(a, b);
  for (const label of [a, b]) assert.match(label, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  assert.ok(a.length <= 58);
});

test('named servers get hosts of their own', () => {
  assert.notEqual(
    notebookHostLabel({ user: 'alice', server: '' }),
    notebookHostLabel({ user: 'alice', server: 'gpu' }),
  );
});

test('labelOfHost takes exactly one label under the base domain', () => {
  assert.equal(labelOfHost('alice.nb.example.org', 'nb.example.org'), 'alice');
  assert.equal(labelOfHost('Alice.NB.example.org:8443', 'nb.example.org'), 'alice');
  assert.equal(labelOfHost('alice.nb.example.org.', 'nb.example.org'), 'alice');
  assert.equal(labelOfHost('a.b.nb.example.org', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('nb.example.org', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('alice.nb.example.org.evil.test', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('alicenb.example.org', 'nb.example.org'), undefined);
  assert.equal(labelOfHost('[::1]:80', 'nb.example.org'), undefined);
});
