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

describe('dummy authenticator', () => {
  function dummy(password?: string) {
    const store = openSqliteStore(':memory:');
    const auth = createAuthService({
      store,
      sessionHours: 1,
      maxFailuresPerUser: 3,
      maxFailuresPerAddress: 50,
      windowMinutes: 1,
      cacheMs: 0,
      type: 'dummy',
      dummy: password === undefined ? undefined : { password },
    });
    return { store, auth };
  }

  it('signs in any valid name with any password, making the account once', async () => {
    const { store, auth } = dummy();
    const first = await auth.login('Load-User-1', 'anything', '1.2.3.4');
    assert.equal(first.user.user, 'load-user-1');
    assert.equal(first.user.admin, false);
    const again = await auth.login('load-user-1', 'something else', '1.2.3.4');
    assert.equal(again.user.userId, first.user.userId, 'the same account');
    assert.equal((await store.getUser('load-user-1'))?.passwordHash, null);
    assert.equal((await auth.fromSession(again.sessionId))?.user, 'load-user-1');
    const both = await Promise.all([
      auth.login('racer', 'x', '1.2.3.4'),
      auth.login('racer', 'y', '1.2.3.4'),
    ]);
    assert.equal(both[0].user.userId, both[1].user.userId, 'two first sign-ins, one account');
  });

  it('refuses a name that breaks the rule, saying why, and creates nothing', async () => {
    const { store, auth } = dummy();
    await assert.rejects(auth.login('bad/name', 'x', '1.2.3.4'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'unauthorized');
      assert.doesNotMatch(e.message, /Wrong user name or password/);
      return true;
    });
    assert.equal((await store.listUsers({ offset: 0, limit: 10 })).total, 0);
  });

  it('with a shared password, only that password signs in', async () => {
    const { auth } = dummy('demo-password');
    await assert.rejects(auth.login('ann', 'guess', '1.2.3.4'), { code: 'unauthorized' });
    assert.equal((await auth.login('ann', 'demo-password', '1.2.3.4')).user.user, 'ann');
  });

  it('an account with a password of its own (the first admin) still needs it', async () => {
    const { auth } = dummy();
    await auth.ensureAdmin('admin', 'the-admin-password');
    await assert.rejects(auth.login('admin', 'anything', '1.2.3.4'), { code: 'unauthorized' });
    const admin = await auth.login('admin', 'the-admin-password', '1.2.3.4');
    assert.equal(admin.user.admin, true);
  });
});
