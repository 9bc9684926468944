import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  crossSiteRejection,
  decideAccess,
  hubOriginOf,
  isStateChanging,
  wantsPage,
} from './request-policy.ts';

const alice = { user: 'alice', server: '' };

describe('decideAccess', () => {
  it('allows the owner and admins, forbids others, flags the anonymous', () => {
    assert.equal(decideAccess({ user: 'alice', admin: false }, alice), 'allow');
    assert.equal(decideAccess({ user: 'root', admin: true }, alice), 'allow');
    assert.equal(decideAccess({ user: 'bob', admin: false }, alice), 'forbidden');
    assert.equal(decideAccess({ user: 'alicex', admin: false }, alice), 'forbidden');
    assert.equal(decideAccess(undefined, alice), 'unauthenticated');
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

describe('crossSiteRejection', () => {
  const hubOrigin = 'https://hub.example.org';
  const base = { origin: hubOrigin, secFetchSite: undefined, hubOrigin, hasSessionCookie: true };

  it('accepts the hub origin, also spelled with case or a default port', () => {
    assert.equal(crossSiteRejection(base), undefined);
    assert.equal(crossSiteRejection({ ...base, origin: 'HTTPS://Hub.Example.org:443' }), undefined);
    assert.equal(crossSiteRejection({ ...base, secFetchSite: 'same-origin' }), undefined);
    assert.equal(crossSiteRejection({ ...base, secFetchSite: 'none' }), undefined);
  });

  it('refuses foreign, look-alike and opaque origins', () => {
    for (const origin of [
      'https://evil.example',
      'http://hub.example.org',
      'https://hub.example.org:8443',
      'https://hub.example.org.evil.example',
      'https://sub.hub.example.org',
      'null',
      '',
      'file://',
      'javascript:alert(1)',
    ]) {
      assert.equal(crossSiteRejection({ ...base, origin }), 'foreign-origin', origin);
    }
  });

  it('refuses cross-site and same-site fetch metadata even with a matching Origin', () => {
    assert.equal(crossSiteRejection({ ...base, secFetchSite: 'cross-site' }), 'cross-site-fetch');
    assert.equal(crossSiteRejection({ ...base, secFetchSite: 'same-site' }), 'cross-site-fetch');
  });

  it('accepts a missing Origin only from clients without the session cookie', () => {
    assert.equal(crossSiteRejection({ ...base, origin: undefined }), 'missing-origin');
    assert.equal(
      crossSiteRejection({ ...base, origin: undefined, hasSessionCookie: false }),
      undefined,
    );
  });
});

describe('hubOriginOf', () => {
  it('prefers the configured origin, else derives one from Host and the connection', () => {
    assert.equal(
      hubOriginOf('https://hub.example.org', 'other:1', false),
      'https://hub.example.org',
    );
    assert.equal(hubOriginOf(undefined, '127.0.0.1:8000', false), 'http://127.0.0.1:8000');
    assert.equal(hubOriginOf(undefined, 'Hub.Example.org:443', true), 'https://hub.example.org');
    assert.equal(hubOriginOf(undefined, undefined, false), undefined);
    assert.equal(hubOriginOf(undefined, 'a b', false), undefined);
  });
});

describe('wantsPage', () => {
  const html = 'text/html,application/xhtml+xml,*/*;q=0.8';
  it('answers navigations with pages and everything else with JSON', () => {
    assert.equal(wantsPage('GET', html, undefined, undefined), true);
    assert.equal(wantsPage('GET', html, undefined, 'navigate'), true);
    assert.equal(wantsPage('HEAD', html, undefined, undefined), true);
    assert.equal(wantsPage('GET', html, 'XMLHttpRequest', undefined), false);
    assert.equal(wantsPage('GET', html, undefined, 'cors'), false);
    assert.equal(wantsPage('GET', 'application/json', undefined, undefined), false);
    assert.equal(wantsPage('GET', undefined, undefined, undefined), false);
    assert.equal(wantsPage('POST', html, undefined, 'navigate'), false);
  });
});
