import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  expandScopes,
  hasGroupFilter,
  intersectScopes,
  isSubset,
  mayAccessServer,
  rightsOf,
  roleScopes,
  scopeProblem,
} from './scopes.ts';

const alice = { name: 'alice', admin: false };
const root = { name: 'root', admin: true };

describe('scopes', () => {
  it('expands self to the owner’s own resources, with subscopes, and no user admin', () => {
    const s = expandScopes(['self'], alice);
    assert.ok(s.has('servers!user=alice'));
    assert.ok(s.has('delete:servers!user=alice'), 'subscope of servers');
    assert.ok(s.has('read:users:name!user=alice'), 'subscope of read:servers');
    assert.ok(!s.has('users!user=alice'), 'a user may not edit their own model (admin flag)');
    assert.ok(![...s].some((x) => !x.endsWith('!user=alice')));
  });

  it('gives admins the unfiltered admin scopes and their subscopes', () => {
    const s = rightsOf(root);
    for (const scope of ['admin:users', 'delete:users', 'list:users', 'servers', 'read:tokens']) {
      assert.ok(s.has(scope), scope);
    }
    assert.ok(!rightsOf(alice).has('list:users'));
  });

  it('intersects a token’s scopes with its owner’s rights', () => {
    const rights = rightsOf(alice);
    assert.deepEqual([...intersectScopes(expandScopes(['servers'], alice), rights)].sort(), [
      'delete:servers!user=alice',
      'read:servers!user=alice',
      'read:users:name!user=alice',
      'servers!user=alice',
    ]);
    const wide = intersectScopes(expandScopes(['admin:users'], alice), rights);
    assert.ok(!wide.has('admin:users') && !wide.has('delete:users!user=alice'));
    assert.ok(
      [...wide].every((x) => x.endsWith('!user=alice')),
      'only what alice may do herself',
    );
    assert.deepEqual(
      [...intersectScopes(['servers!server=alice/'], ['servers!user=alice'])],
      ['servers!server=alice/'],
    );
    assert.deepEqual(
      [...intersectScopes(['servers!user=alice'], ['servers!server=alice/'])],
      ['servers!server=alice/'],
    );
    assert.equal(intersectScopes(['servers!user=bob'], ['servers!user=alice']).size, 0);
    assert.deepEqual([...intersectScopes(['read:hub'], ['read:hub'])], ['read:hub']);
  });

  it('decides whether requested scopes lie within held ones', () => {
    const rights = rightsOf(alice);
    assert.ok(isSubset(['read:servers!server=alice/'], rights));
    assert.ok(isSubset(expandScopes(['self'], alice), rights));
    assert.ok(!isSubset(['servers!user=bob'], rights));
    assert.ok(!isSubset(['servers'], rights), 'unfiltered is wider than filtered');
    assert.ok(isSubset(expandScopes(roleScopes('server-management'), root), rightsOf(root)));
    assert.ok(!isSubset(expandScopes(roleScopes('server-management'), alice), rights));
  });

  it('names what is wrong with a scope it cannot accept', () => {
    assert.equal(scopeProblem('servers!user=alice'), undefined);
    assert.equal(scopeProblem('inherit'), undefined);
    assert.match(scopeProblem('root') ?? '', /not a scope/);
    assert.match(scopeProblem('servers!owner=x') ?? '', /filter/);
    assert.equal(scopeProblem('servers!group=staff'), undefined);
    assert.match(scopeProblem('servers!server=alice') ?? '', /<user>\/<server>/);
  });

  it('resolves group filters with the memberships it is given', () => {
    const groupsOf = (u: string) => (u === 'alice' ? ['staff'] : []);
    // An admin's token narrowed to a group keeps the group filter.
    assert.deepEqual(
      [...intersectScopes(['access:servers!group=staff'], rightsOf(root), groupsOf)].filter((s) =>
        s.startsWith('access:servers'),
      ),
      ['access:servers!group=staff'],
    );
    // A user's token narrowed to a group they are in keeps their own servers only.
    assert.deepEqual(
      [...intersectScopes(['access:servers!group=staff'], rightsOf(alice), groupsOf)].filter((s) =>
        s.startsWith('access:servers'),
      ),
      ['access:servers!user=alice'],
    );
    assert.equal(
      intersectScopes(['access:servers!group=staff'], ['access:servers!user=bob'], groupsOf).size,
      0,
    );
    assert.ok(isSubset(['servers!group=staff'], rightsOf(root)));
    assert.ok(!isSubset(['servers!group=staff'], rightsOf(alice), groupsOf), 'a group is wider');
  });

  it('decides access to a server: unfiltered, by user, by server, by group', () => {
    const alices = { user: 'alice', server: '' };
    const gpu = { user: 'alice', server: 'gpu' };
    assert.ok(mayAccessServer(new Set(['access:servers']), alices));
    assert.ok(mayAccessServer(new Set(['access:servers!user=alice']), gpu));
    assert.ok(mayAccessServer(new Set(['access:servers!server=alice/gpu']), gpu));
    assert.ok(!mayAccessServer(new Set(['access:servers!server=alice/gpu']), alices));
    assert.ok(!mayAccessServer(new Set(['access:servers!user=bob']), alices));
    assert.ok(mayAccessServer(new Set(['access:servers!group=g']), alices, ['g']));
    assert.ok(!mayAccessServer(new Set(['access:servers!group=g']), alices, ['h']));
    assert.ok(!mayAccessServer(new Set(['read:servers', 'servers']), alices));
    assert.ok(hasGroupFilter(new Set(['access:servers!group=g']), 'access:servers'));
    assert.ok(!hasGroupFilter(new Set(['access:servers!user=g']), 'access:servers'));
    // A session holds its owner's rights.
    assert.ok(mayAccessServer(rightsOf(alice), gpu));
    assert.ok(!mayAccessServer(rightsOf(alice), { user: 'bob', server: '' }));
    assert.ok(mayAccessServer(rightsOf(root), { user: 'bob', server: '' }));
  });
});
