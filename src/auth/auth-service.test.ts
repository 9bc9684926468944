import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { createAuthService } from './auth-service.ts';

function setup(now = () => 1_000_000) {
  const store = openSqliteStore(':memory:');
  const auth = createAuthService({
    store,
    sessionHours: 1,
    maxFailuresPerUser: 3,
    maxFailuresPerAddress: 5,
    windowMinutes: 1,
    cacheMs: 0,
    now,
  });
  return { store, auth };
}

describe('auth service', () => {
  it('creates the first admin once, with a generated password printed once', async () => {
    const { auth } = setup();
    const first = await auth.ensureAdmin('Admin', undefined);
    assert.equal(first.created, true);
    assert.ok(first.password && first.password.length >= 16);
    assert.deepEqual(await auth.ensureAdmin('admin', undefined), { created: false });
    const { user } = await auth.login('ADMIN', first.password, '1.2.3.4');
    assert.equal(user.admin, true);
  });

  it('two replicas creating the first admin at once: one creates it, neither fails', async () => {
    const { auth } = setup();
    const results = await Promise.all([
      auth.ensureAdmin('admin', 'same-password'),
      auth.ensureAdmin('admin', 'same-password'),
    ]);
    assert.deepEqual(results.map((r) => r.created).sort(), [false, true]);
  });

  it('normalises names, so names that collide after normalisation are refused', async () => {
    const { auth } = setup();
    await auth.createUser('Émile', 'password1', false);
    await assert.rejects(auth.createUser('e\u0301mile', 'password2', false), { code: 'conflict' });
    await assert.rejects(auth.createUser('a/b', 'password2', false), { field: 'name' });
    await assert.rejects(auth.createUser('x'.repeat(1_000_000), 'password2', false), {
      field: 'name',
    });
  });

  it('answers unknown user and wrong password with the same error', async () => {
    const { auth } = setup();
    await auth.createUser('bob', 'correct horse', false);
    const a = await auth.login('bob', 'wrong', 'a').catch((e: unknown) => e);
    const b = await auth.login('nobody', 'wrong', 'b').catch((e: unknown) => e);
    assert.deepEqual(
      [(a as Error).message, (a as { code: string }).code],
      [(b as Error).message, (b as { code: string }).code],
    );
  });

  it('limits failures per user and per address, and a success is then still refused', async () => {
    let t = 0;
    const { auth } = setup(() => t);
    await auth.createUser('carol', 'correct horse', false);
    for (let i = 0; i < 3; i++) await assert.rejects(auth.login('carol', 'x', `addr${i}`));
    await assert.rejects(auth.login('carol', 'correct horse', 'fresh'), {
      code: 'too_many_requests',
    });
    t += 61_000;
    assert.ok(await auth.login('carol', 'correct horse', 'fresh'));
  });

  it('sessions authenticate until signed out or expired', async () => {
    let t = 0;
    const { auth } = setup(() => t);
    await auth.createUser('dave', 'correct horse', false);
    const { sessionId } = await auth.login('dave', 'correct horse', 'a');
    assert.equal((await auth.fromSession(sessionId))?.user, 'dave');
    await auth.logout(sessionId);
    assert.equal(await auth.fromSession(sessionId), undefined);
    const second = await auth.login('dave', 'correct horse', 'a');
    t += 3_600_001;
    assert.equal(await auth.fromSession(second.sessionId), undefined, 'expired');
  });

  it('API tokens authenticate their owner and are stored hashed', async () => {
    const { auth, store } = setup();
    const u = await auth.createUser('erin', 'correct horse', false);
    const { token } = await auth.createToken(u.id, 'test');
    assert.equal((await auth.fromToken(token))?.user, 'erin');
    assert.equal(await auth.fromToken(token + 'x'), undefined);
    const [stored] = await store.listApiTokens(u.id);
    assert.notEqual(stored?.hash, token);
  });
});
