import assert from 'node:assert/strict';
import { it } from 'node:test';
import { safeNext } from './safe-next.ts';

it('keeps same-site paths under /hub/ and /user/', () => {
  assert.equal(safeNext('/user/alice/lab?x=1'), '/user/alice/lab?x=1');
  assert.equal(safeNext('/hub/admin'), '/hub/admin');
});

it('refuses every open-redirect variant', () => {
  for (const bad of [
    'https://evil.example/',
    '//evil.example/',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    'javascript:alert(1)',
    'https:evil.example',
    '/%0a/evil.example',
    '/other',
    '',
    undefined,
    42,
  ]) {
    const result = safeNext(bad);
    assert.ok(result === '/hub/home' || !result.includes('evil'), `${String(bad)} → ${result}`);
    assert.ok(!result.startsWith('//'));
  }
  assert.equal(safeNext('//evil.example/'), '/hub/home');
});
