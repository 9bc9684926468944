import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readOriginalRequest } from './original-request.ts';

test('reads ingress-nginx style headers', () => {
  const r = readOriginalRequest({
    'x-original-url': 'https://alice.nb.example.org/user/alice/api?x=1',
    'x-original-method': 'post',
    origin: 'https://alice.nb.example.org',
  });
  assert.ok(r);
  assert.equal(r.method, 'POST');
  assert.equal(r.url.host, 'alice.nb.example.org');
  assert.equal(r.url.pathname, '/user/alice/api');
  assert.equal(r.origin, 'https://alice.nb.example.org');
  assert.equal(r.upgrade, false);
});

test('reads Traefik style headers', () => {
  const r = readOriginalRequest({
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'alice.nb.example.org',
    'x-forwarded-uri': '/user/alice/api/kernels/1/channels',
    'x-forwarded-method': 'GET',
    upgrade: 'websocket',
  });
  assert.ok(r);
  assert.equal(r.url.href, 'https://alice.nb.example.org/user/alice/api/kernels/1/channels');
  assert.equal(r.upgrade, true);
});

test('nothing usable gives undefined', () => {
  assert.equal(readOriginalRequest({}), undefined);
  assert.equal(readOriginalRequest({ 'x-original-url': 'javascript:alert(1)' }), undefined);
  assert.equal(
    readOriginalRequest({ 'x-forwarded-host': 'a.example.org', 'x-forwarded-uri': 'no-slash' }),
    undefined,
  );
});
