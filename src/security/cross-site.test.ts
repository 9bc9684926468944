import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  crossSiteMessage,
  hubOriginOf,
  isStateChanging,
  judgeCrossSite,
  type CrossSiteInput,
  type XsrfStatus,
} from './cross-site.ts';

const own = 'https://hub.example.org';
const base: CrossSiteInput = {
  method: 'POST',
  upgrade: false,
  origin: own,
  secFetchSite: 'same-origin',
  ownOrigin: own,
  credential: 'session',
  xsrf: () => 'valid',
  originSuffices: true,
};
const xsrf = (status: XsrfStatus) => () => status;

describe('judgeCrossSite', () => {
  it('lets safe methods through, but judges every WebSocket handshake', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      assert.equal(judgeCrossSite({ ...base, method, origin: 'https://evil.example' }), undefined);
    }
    assert.equal(
      judgeCrossSite({ ...base, method: 'GET', upgrade: true, origin: 'https://evil.example' }),
      'foreign-origin',
    );
  });

  it('refuses cross-site and same-site fetch metadata whatever else the request carries', () => {
    for (const credential of ['token', 'session', 'none'] as const) {
      for (const secFetchSite of ['cross-site', 'same-site']) {
        assert.equal(
          judgeCrossSite({ ...base, credential, secFetchSite, xsrf: xsrf('valid') }),
          'cross-site-fetch',
          `${credential} ${secFetchSite}`,
        );
      }
    }
  });

  it('refuses a foreign Origin whatever the credential', () => {
    for (const credential of ['token', 'session', 'none'] as const) {
      for (const origin of ['https://evil.example', 'null', 'http://hub.example.org', '']) {
        assert.equal(
          judgeCrossSite({ ...base, credential, origin, secFetchSite: undefined }),
          'foreign-origin',
          `${credential} ${origin}`,
        );
      }
    }
  });

  it('accepts our Origin spelled with case or a default port', () => {
    assert.equal(judgeCrossSite({ ...base, origin: 'HTTPS://Hub.Example.org:443' }), undefined);
  });

  it('judges a token by the token alone: no Origin, no XSRF, cookie or not', () => {
    assert.equal(
      judgeCrossSite({
        ...base,
        credential: 'token',
        origin: undefined,
        secFetchSite: undefined,
        xsrf: () => assert.fail('a token request must not be asked for XSRF'),
        originSuffices: false,
      }),
      undefined,
    );
  });

  it('leaves requests without credentials to authentication', () => {
    assert.equal(
      judgeCrossSite({ ...base, credential: 'none', origin: undefined, xsrf: xsrf('missing') }),
      undefined,
    );
  });

  it('takes a cookie request without Origin only with a valid XSRF token, naming what failed', () => {
    const noOrigin = { ...base, origin: undefined, secFetchSite: undefined };
    assert.equal(judgeCrossSite({ ...noOrigin, xsrf: xsrf('valid') }), undefined);
    assert.equal(judgeCrossSite({ ...noOrigin, xsrf: xsrf('missing') }), 'xsrf-missing');
    assert.equal(judgeCrossSite({ ...noOrigin, xsrf: xsrf('no-cookie') }), 'xsrf-no-cookie');
    assert.equal(judgeCrossSite({ ...noOrigin, xsrf: xsrf('mismatch') }), 'xsrf-mismatch');
  });

  it('takes our Origin in place of the token only where originSuffices', () => {
    assert.equal(judgeCrossSite({ ...base, xsrf: xsrf('missing') }), undefined);
    assert.equal(
      judgeCrossSite({ ...base, xsrf: xsrf('missing'), originSuffices: false }),
      'xsrf-missing',
    );
    assert.equal(
      judgeCrossSite({ ...base, xsrf: xsrf('valid'), originSuffices: false }),
      undefined,
    );
  });

  it('takes a cookie WebSocket handshake without Origin (no browser sends one without)', () => {
    assert.equal(
      judgeCrossSite({
        ...base,
        method: 'GET',
        upgrade: true,
        origin: undefined,
        secFetchSite: undefined,
        xsrf: xsrf('missing'),
      }),
      undefined,
    );
  });

  it('refuses every Origin when its own origin is unknown', () => {
    assert.equal(judgeCrossSite({ ...base, ownOrigin: undefined }), 'foreign-origin');
  });

  it('says in each refusal which part was missing or wrong', () => {
    assert.match(crossSiteMessage('cross-site-fetch', 'hub'), /Sec-Fetch-Site/);
    assert.match(crossSiteMessage('foreign-origin', 'hub'), /Origin/);
    assert.match(crossSiteMessage('xsrf-missing', 'hub'), /X-XSRFToken.*_xsrf form field/);
    assert.match(crossSiteMessage('xsrf-missing', 'notebook'), /notebook server/);
    assert.match(crossSiteMessage('xsrf-no-cookie', 'hub'), /GET \/hub\/login/);
    assert.match(crossSiteMessage('xsrf-mismatch', 'notebook'), /does not match/);
  });
});

describe('isStateChanging', () => {
  it('treats everything but GET, HEAD and OPTIONS as state-changing', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS']) assert.equal(isStateChanging(m), false, m);
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'get', undefined]) {
      assert.equal(isStateChanging(m), true, String(m));
    }
  });
});

describe('hubOriginOf', () => {
  it('prefers the configured origin, else derives it from Host and the connection', () => {
    assert.equal(hubOriginOf('https://hub.example.org', 'x:1', false), 'https://hub.example.org');
    assert.equal(hubOriginOf(undefined, 'Hub.Test:80', false), 'http://hub.test');
    assert.equal(hubOriginOf(undefined, 'hub.test', true), 'https://hub.test');
    assert.equal(hubOriginOf(undefined, undefined, false), undefined);
  });
});
