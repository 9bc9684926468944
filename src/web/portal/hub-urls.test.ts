import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeNext } from '../safe-next.ts';
import {
  decideSpawn,
  loginUrl,
  requestedProfile,
  spawnPendingUrl,
  spawnUrl,
  userRedirectTarget,
  type SpawnInput,
} from './hub-urls.ts';

const nextOf = (url: string) => new URL(url, 'http://h').searchParams.get('next');

describe('userRedirectTarget', () => {
  it('sends to /hub/spawn/<me> with next = the path under /user/<me>/ and the query kept', () => {
    const to = userRedirectTarget('alice', 'lab/tree/x.ipynb', '?kernel=python3&a=1');
    assert.ok(to);
    assert.equal(to.split('?')[0], '/hub/spawn/alice');
    assert.equal(nextOf(to), '/user/alice/lab/tree/x.ipynb?kernel=python3&a=1');
  });

  it('keeps an nbgitpuller link whole, its encoded query untouched', () => {
    const search = '?repo=http%3A%2F%2F127.0.0.1%3A9%2Fc.git&urlpath=lab%2Ftree%2Fc.git%2Fa.ipynb';
    const next = nextOf(userRedirectTarget('alice', 'git-pull', search) ?? '');
    assert.equal(next, `/user/alice/git-pull${search}`);
    assert.equal(safeNext(next), next, 'the next survives safeNext as it is');
  });

  it('encodes the user name as one path segment', () => {
    const to = userRedirectTarget('a b/c', 'lab', '');
    assert.ok(to);
    assert.equal(to.split('?')[0], '/hub/spawn/a%20b%2Fc');
    assert.equal(nextOf(to), '/user/a%20b%2Fc/lab');
  });

  it('an empty path goes to the server itself', () => {
    assert.equal(nextOf(userRedirectTarget('alice', '', '') ?? ''), '/user/alice/');
  });

  it('refuses a path that would leave the person’s own server', () => {
    for (const rest of [
      '../bob/lab',
      'lab/../../bob',
      '%2e%2e/bob',
      '..%2fbob',
      'a\\..\\b',
      './x',
    ]) {
      assert.equal(userRedirectTarget('alice', rest, ''), undefined, rest);
    }
  });
});

describe('spawn URLs', () => {
  it('follow JupyterHub: /hub/spawn/<user>[/<server>] and /hub/spawn-pending/…, next encoded', () => {
    assert.equal(spawnUrl('alice', ''), '/hub/spawn/alice');
    assert.equal(
      spawnUrl('alice', 'gpu', '/user/alice/gpu/lab?x=1'),
      '/hub/spawn/alice/gpu?next=%2Fuser%2Falice%2Fgpu%2Flab%3Fx%3D1',
    );
    assert.equal(spawnPendingUrl('é', ''), '/hub/spawn-pending/%C3%A9');
    assert.equal(spawnPendingUrl('alice', 'a', ''), '/hub/spawn-pending/alice/a');
  });
});

describe('loginUrl', () => {
  it('keeps the path and query in next', () => {
    assert.equal(
      loginUrl('/hub/user-redirect/git-pull?repo=r&urlpath=u'),
      `/hub/login?next=${encodeURIComponent('/hub/user-redirect/git-pull?repo=r&urlpath=u')}`,
    );
  });
  it('never copies a token into next', () => {
    const next = nextOf(loginUrl('/hub/spawn?token=secret&next=%2Fuser%2Fa%2F'));
    assert.equal(next, '/hub/spawn?next=%2Fuser%2Fa%2F');
  });
});

describe('decideSpawn', () => {
  const base: SpawnInput = {
    phase: 'stopped',
    allowed: ['standard'],
    namedWithProfile: false,
    requested: undefined,
  };

  it('opens a running server, follows a starting one, waits for a stopping one', () => {
    assert.deepEqual(decideSpawn({ ...base, phase: 'running' }), { kind: 'open' });
    assert.deepEqual(decideSpawn({ ...base, phase: 'starting' }), { kind: 'follow' });
    assert.deepEqual(decideSpawn({ ...base, phase: 'stopping' }), { kind: 'wait' });
  });

  it('starts a stopped or failed server when one environment is allowed', () => {
    for (const phase of ['stopped', 'failed'] as const) {
      assert.deepEqual(decideSpawn({ ...base, phase }), { kind: 'start', profile: undefined });
    }
  });

  it('shows the choice when several are allowed, unless one was asked for', () => {
    const several = { ...base, allowed: ['standard', 'gpu'] };
    assert.deepEqual(decideSpawn(several), { kind: 'choose' });
    assert.deepEqual(decideSpawn({ ...several, requested: 'gpu' }), {
      kind: 'start',
      profile: 'gpu',
    });
  });

  it('starts an existing named server in its own environment without asking', () => {
    assert.deepEqual(
      decideSpawn({ ...base, allowed: ['standard', 'gpu'], namedWithProfile: true }),
      { kind: 'start', profile: undefined },
    );
  });

  it('with nothing allowed, still starts: the server service refuses in plain words', () => {
    assert.deepEqual(decideSpawn({ ...base, allowed: [] }), { kind: 'start', profile: undefined });
  });
});

describe('requestedProfile', () => {
  it('reads JupyterHub’s opt-profile first, then profile; empty is absent', () => {
    assert.equal(requestedProfile(new URLSearchParams('opt-profile=gpu&profile=x')), 'gpu');
    assert.equal(requestedProfile(new URLSearchParams('profile=gpu')), 'gpu');
    assert.equal(requestedProfile(new URLSearchParams('profile=')), undefined);
    assert.equal(requestedProfile(new URLSearchParams('')), undefined);
  });
});
