import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { MAX_REMEMBERED, OUTAGE_GRACE_MS, createAuthService } from './auth-service.ts';

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

describe('a database outage', () => {
  /** The store, with every read failing as PostgreSQL's store fails when it cannot connect. */
  function flaky() {
    let clock = 1_000_000;
    const base = openSqliteStore(':memory:');
    const state = { down: false };
    const store = new Proxy(base, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (state.down) {
            return Promise.reject(
              new GanymedeError('unavailable', 'The database is not available.'),
            );
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const auth = createAuthService({
      store,
      sessionHours: 1,
      maxFailuresPerUser: 3,
      maxFailuresPerAddress: 50,
      windowMinutes: 1,
      cacheMs: 2000,
      now: () => clock,
    });
    return {
      auth,
      state,
      tick: (ms: number) => {
        clock += ms;
      },
    };
  }

  it('a session or token seen valid keeps its owner for OUTAGE_GRACE_MS, and only then', async () => {
    const { auth, state, tick } = flaky();
    const ann = await auth.createUser('ann', 'ann-password', false);
    const { sessionId } = await auth.login('ann', 'ann-password', '1.2.3.4');
    const { token } = await auth.createToken(ann.id, 'for the test');
    assert.equal((await auth.fromSession(sessionId))?.user, 'ann');
    assert.equal((await auth.fromToken(token))?.user, 'ann');
    const { sessionId: never } = await auth.login('ann', 'ann-password', '1.2.3.4');

    state.down = true;
    tick(60_000);
    assert.equal((await auth.fromSession(sessionId))?.user, 'ann', 'known: still ann');
    assert.equal((await auth.fromToken(token))?.user, 'ann');
    await assert.rejects(auth.fromSession(never), { code: 'unavailable' }, 'never checked');
    await assert.rejects(auth.fromToken('not-a-token'), { code: 'unavailable' });
    tick(OUTAGE_GRACE_MS);
    await assert.rejects(auth.fromSession(sessionId), { code: 'unavailable' }, 'grace over');
    await assert.rejects(auth.fromToken(token), { code: 'unavailable' });

    state.down = false;
    assert.equal((await auth.fromSession(sessionId))?.user, 'ann', 'the store decides again');
  });

  it('a credential refused while the store answered is not let in during an outage', async () => {
    const { auth, state, tick } = flaky();
    const ann = await auth.createUser('ann', 'ann-password', false);
    const { sessionId } = await auth.login('ann', 'ann-password', '1.2.3.4');
    const { token } = await auth.createToken(ann.id, 'revoked soon');
    assert.equal((await auth.fromToken(token))?.user, 'ann');
    assert.equal((await auth.fromSession(sessionId))?.user, 'ann');
    await auth.logout(sessionId);
    auth.forget(); // as every revocation does
    state.down = true;
    tick(3000);
    await assert.rejects(auth.fromSession(sessionId), { code: 'unavailable' });
    await assert.rejects(auth.fromToken(token), { code: 'unavailable' });
  });

  it('remembers at most MAX_REMEMBERED credentials, the most recently confirmed', async () => {
    const { auth, state, tick } = flaky();
    const ann = await auth.createUser('ann', 'ann-password', false);
    const first = await auth.openSession(ann);
    assert.ok(await auth.fromSession(first.sessionId));
    const later: string[] = [];
    for (let i = 0; i < MAX_REMEMBERED; i++) {
      const { sessionId } = await auth.openSession(ann);
      assert.ok(await auth.fromSession(sessionId));
      later.push(sessionId);
    }
    state.down = true;
    tick(3000);
    assert.equal((await auth.fromSession(later[0] ?? ''))?.user, 'ann');
    await assert.rejects(auth.fromSession(first.sessionId), { code: 'unavailable' }, 'pushed out');
  });
});
