import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.ts';

it('hashes with argon2id in PHC format and verifies', async () => {
  const h = await hashPassword('pässword');
  assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword('pässword', h), true);
  assert.equal(await verifyPassword('passwörd', h), false);
  assert.notEqual(await hashPassword('pässword'), h, 'salted');
  assert.equal(await verifyPassword('x', 'not a hash'), false);
});
