import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseUserName } from './user-names.ts';

it('normalises case and Unicode form once', () => {
  assert.equal(parseUserName('Alice'), 'alice');
  assert.equal(parseUserName('E\u0301mile'), parseUserName('\u00c9mile'));
  assert.equal(parseUserName('  bob  '), 'bob');
  assert.equal(parseUserName('ana.maria@uni-x.edu'), 'ana.maria@uni-x.edu');
  assert.equal(parseUserName('李雷'), '李雷');
});

it('refuses names that could break routes, naming the field', () => {
  for (const bad of [
    '',
    'a/b',
    'a%2fb',
    '..',
    '.hidden',
    'a b',
    'a\u0000b',
    '-x',
    'x'.repeat(65),
  ]) {
    assert.throws(() => parseUserName(bad), { field: 'name' }, JSON.stringify(bad));
  }
  assert.throws(() => parseUserName(42, 'username'), { field: 'username' });
});

it('refuses a 1 MB name quickly', () => {
  const started = performance.now();
  assert.throws(() => parseUserName('a'.repeat(1_000_000)), /at most 64/);
  assert.ok(performance.now() - started < 50);
});
