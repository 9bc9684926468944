import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  cookieValues,
  decodeTornadoXsrf,
  hubXsrfStatus,
  isAnonymousXsrf,
  jupyterXsrfStatus,
  newAnonymousXsrf,
  sentXsrf,
} from './xsrf.ts';

/** A token in tornado's version-2 form, masked with a fresh random mask. */
function tornadoV2(token: Buffer): string {
  const mask = randomBytes(4);
  const masked = Buffer.from(token.map((b, i) => b ^ (mask[i % 4] ?? 0)));
  return `2|${mask.toString('hex')}|${masked.toString('hex')}|${String(Date.now())}`;
}

describe('cookieValues', () => {
  it('returns every value of the cookie, one per path, unquoted', () => {
    assert.deepEqual(cookieValues('a=1; _xsrf=one; b=2; _xsrf="two"', '_xsrf'), ['one', 'two']);
    assert.deepEqual(cookieValues('x_xsrf=no; _xsrfx=no', '_xsrf'), []);
    assert.deepEqual(cookieValues(undefined, '_xsrf'), []);
  });
});

describe('sentXsrf', () => {
  it('reads X-XSRFToken, then X-CSRFToken, then the _xsrf query argument', () => {
    const headers = (h: Record<string, string>) => (n: string) => h[n];
    const q = new URLSearchParams('_xsrf=q');
    assert.equal(sentXsrf(headers({ 'x-xsrftoken': 'a', 'x-csrftoken': 'b' }), q), 'a');
    assert.equal(sentXsrf(headers({ 'x-csrftoken': 'b' }), q), 'b');
    assert.equal(sentXsrf(headers({}), q), 'q');
    assert.equal(sentXsrf(headers({}), undefined), undefined);
  });
});

describe('hubXsrfStatus', () => {
  it('checks a signed-in session against its own token, cookie or not', () => {
    const sessionToken = 'session-token';
    assert.equal(hubXsrfStatus({ sent: sessionToken, cookies: [], sessionToken }), 'valid');
    assert.equal(hubXsrfStatus({ sent: undefined, cookies: [], sessionToken }), 'missing');
    const anon = newAnonymousXsrf();
    // A value that matches its cookie is still not this session's token.
    assert.equal(hubXsrfStatus({ sent: anon, cookies: [anon], sessionToken }), 'mismatch');
  });

  it('checks an anonymous visitor by double submit of an anonymous cookie', () => {
    const anon = newAnonymousXsrf();
    assert.ok(isAnonymousXsrf(anon));
    const other = newAnonymousXsrf();
    const s = undefined;
    assert.equal(hubXsrfStatus({ sent: anon, cookies: [other, anon], sessionToken: s }), 'valid');
    assert.equal(hubXsrfStatus({ sent: anon, cookies: [other], sessionToken: s }), 'mismatch');
    assert.equal(hubXsrfStatus({ sent: anon, cookies: [], sessionToken: s }), 'no-cookie');
    // A cookie in some other form (a notebook server's, a forged one) is not ours.
    assert.equal(hubXsrfStatus({ sent: 'x', cookies: ['x'], sessionToken: s }), 'no-cookie');
    assert.equal(hubXsrfStatus({ sent: '', cookies: [anon], sessionToken: s }), 'missing');
  });
});

describe('jupyterXsrfStatus (tornado’s comparison)', () => {
  const token = randomBytes(16);
  const cookie = tornadoV2(token);

  it('matches the cookie itself and any other masking of the same token', () => {
    assert.equal(jupyterXsrfStatus(cookie, [cookie]), 'valid');
    assert.equal(jupyterXsrfStatus(tornadoV2(token), [cookie]), 'valid');
    assert.equal(jupyterXsrfStatus(token.toString('hex'), [cookie]), 'valid');
    assert.equal(jupyterXsrfStatus(cookie, ['2|00|zz|1', cookie]), 'valid');
  });

  it('refuses another token, a missing one, an unknown version and no cookie', () => {
    assert.equal(jupyterXsrfStatus(tornadoV2(randomBytes(16)), [cookie]), 'mismatch');
    assert.equal(jupyterXsrfStatus('3|aa|bb|1', [cookie]), 'mismatch');
    assert.equal(jupyterXsrfStatus(undefined, [cookie]), 'missing');
    assert.equal(jupyterXsrfStatus(cookie, []), 'no-cookie');
  });

  it('decodes version 2 by unmasking and version 1 as hex or bytes', () => {
    assert.deepEqual(decodeTornadoXsrf(cookie), token);
    assert.deepEqual(decodeTornadoXsrf('abcd'), Buffer.from([0xab, 0xcd]));
    assert.deepEqual(decodeTornadoXsrf('plain'), Buffer.from('plain'));
    assert.equal(decodeTornadoXsrf('2|zz|00|1'), undefined);
  });
});
