import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideSignIn, groupsFromClaim, type ClaimRules } from './claims.ts';

const rules: ClaimRules = {
  displayName: 'Example IdP',
  usernameClaim: 'preferred_username',
  groupsClaim: 'groups',
  allowedGroups: [],
  adminGroups: ['hub-admins'],
};

describe('decideSignIn', () => {
  it('normalises the user name with the one rule', () => {
    const d = decideSignIn({ preferred_username: '  Ada.Lovelace ' }, rules);
    assert.equal(d.name, 'ada.lovelace');
    assert.deepEqual(d.groups, []);
    assert.equal(d.admin, false);
  });

  it('uses the configured claim', () => {
    const d = decideSignIn(
      { preferred_username: 'x', email: 'Ada@Example.org' },
      {
        ...rules,
        usernameClaim: 'email',
      },
    );
    assert.equal(d.name, 'ada@example.org');
  });

  it('refuses a missing or unusable name with a plain message', () => {
    assert.throws(() => decideSignIn({}, rules), {
      code: 'forbidden',
      userMessage: /Example IdP did not tell us a user name/,
    });
    assert.throws(() => decideSignIn({ preferred_username: 'a/../b' }, rules), {
      code: 'forbidden',
      userMessage: /"a\/\.\.\/b" cannot be used here\. User names may contain/,
    });
    assert.throws(() => decideSignIn({ preferred_username: 42 }, rules), { code: 'forbidden' });
  });

  it('makes members of an admin group administrators', () => {
    const d = decideSignIn({ preferred_username: 'bo', groups: ['staff', 'hub-admins'] }, rules);
    assert.equal(d.admin, true);
    assert.deepEqual(d.groups, ['staff', 'hub-admins']);
  });

  it('admits only allowed groups (and admins) when allowedGroups is set', () => {
    const only = { ...rules, allowedGroups: ['physics'] };
    assert.equal(decideSignIn({ preferred_username: 'c', groups: ['physics'] }, only).name, 'c');
    assert.equal(
      decideSignIn({ preferred_username: 'd', groups: ['hub-admins'] }, only).admin,
      true,
    );
    assert.throws(() => decideSignIn({ preferred_username: 'e', groups: ['chemistry'] }, only), {
      code: 'forbidden',
      userMessage: /not in a group that may use this service/,
    });
    assert.throws(() => decideSignIn({ preferred_username: 'f' }, only), { code: 'forbidden' });
  });

  it('ignores groups when no groups claim is configured', () => {
    const d = decideSignIn(
      { preferred_username: 'g', groups: ['hub-admins'] },
      { ...rules, groupsClaim: undefined },
    );
    assert.equal(d.admin, false);
    assert.deepEqual(d.groups, []);
  });
});

describe('groupsFromClaim', () => {
  it('takes strings, a lone string, and drops everything else', () => {
    assert.deepEqual(groupsFromClaim(['a', 'b', 'a', 3, null, '', 'x'.repeat(300)]), ['a', 'b']);
    assert.deepEqual(groupsFromClaim('solo'), ['solo']);
    assert.deepEqual(groupsFromClaim({ a: 1 }), []);
    assert.equal(groupsFromClaim(Array.from({ length: 5000 }, (_, i) => `g${i}`)).length, 1000);
  });
});
