import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverLogoutRedirect } from './server-logout.ts';

describe('serverLogoutRedirect', () => {
  it("sends a server's logout page, default or named, to the hub's sign-out", () => {
    assert.equal(serverLogoutRedirect('GET', '/user/alice/logout'), '/hub/logout');
    assert.equal(serverLogoutRedirect('GET', '/user/zo%C3%AB/logout?x=1'), '/hub/logout');
    assert.equal(serverLogoutRedirect('HEAD', '/user/alice/gpu/logout'), '/hub/logout');
  });

  it('leaves everything else to the proxy', () => {
    assert.equal(serverLogoutRedirect('POST', '/user/alice/logout'), undefined);
    assert.equal(serverLogoutRedirect('GET', '/user/alice/logout/x'), undefined);
    assert.equal(serverLogoutRedirect('GET', '/user/alice/files/logout'), undefined);
    assert.equal(serverLogoutRedirect('GET', '/user/alice/tree/a/logout'), undefined);
    assert.equal(serverLogoutRedirect('GET', '/user/alice/'), undefined);
  });
});
