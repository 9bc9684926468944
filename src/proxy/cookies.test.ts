import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { removeCookie } from './cookies.ts';

describe('removeCookie', () => {
  it('removes the named cookie and keeps the others in order', () => {
    assert.equal(
      removeCookie('a=1; ganymede-session=s; _xsrf=x', 'ganymede-session'),
      'a=1; _xsrf=x',
    );
    assert.equal(removeCookie('ganymede-session=s;_xsrf=x', 'ganymede-session'), '_xsrf=x');
    assert.equal(removeCookie('_xsrf=x;ganymede-session=s', 'ganymede-session'), '_xsrf=x');
  });

  it('removes every copy of the cookie (a browser may send two with different paths)', () => {
    assert.equal(removeCookie('s=1; a=2; s=3', 's'), 'a=2');
  });

  it('returns undefined when only the session cookie was there', () => {
    assert.equal(removeCookie('ganymede-session=s', 'ganymede-session'), undefined);
    assert.equal(removeCookie(' ganymede-session=s ; ', 'ganymede-session'), undefined);
  });

  it('leaves cookies whose names merely contain the session name', () => {
    assert.equal(
      removeCookie('x-ganymede-session=1; ganymede-session-old=2', 'ganymede-session'),
      'x-ganymede-session=1; ganymede-session-old=2',
    );
  });

  it('returns the header unchanged when the name does not occur', () => {
    const header = 'a=1;b=2';
    assert.equal(removeCookie(header, 'ganymede-session'), header);
  });
});
