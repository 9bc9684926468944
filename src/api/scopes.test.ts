import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  expandScopes,
  intersectScopes,
  isSubset,
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
    assert.match(scopeProblem('servers!group=staff') ?? '', /group filters/);
    assert.match(scopeProblem('servers!server=alice') ?? '', /<user>\/<server>/);
  });
});
