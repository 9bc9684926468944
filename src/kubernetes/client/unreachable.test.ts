import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError, KubeApiTimeoutError } from './kube-api.ts';
import { isClusterUnreachable } from './unreachable.ts';

const socketError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

test('a server that is not there, or went silent, is unreachable', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']) {
    assert.equal(isClusterUnreachable(socketError(code)), true, code);
  }
  assert.equal(isClusterUnreachable(new KubeApiTimeoutError('GET /x: no answer')), true);
});

test('overloaded, not ready or behind a failing proxy: unreachable', () => {
  for (const status of [429, 502, 503, 504]) {
    assert.equal(isClusterUnreachable(new KubeApiError(status, undefined, 'x')), true, `${status}`);
  }
});

test('a refusal is not: sending it again would get the same answer', () => {
  for (const status of [400, 401, 403, 404, 409, 422, 500]) {
    assert.equal(
      isClusterUnreachable(new KubeApiError(status, undefined, 'x')),
      false,
      `${status}`,
    );
  }
  assert.equal(isClusterUnreachable(new Error('object needs apiVersion')), false);
  assert.equal(isClusterUnreachable(socketError('ENOENT')), false);
  assert.equal(isClusterUnreachable(undefined), false);
  assert.equal(isClusterUnreachable('ECONNREFUSED'), false);
});

test('the cause chain is read (fetch wraps the socket error)', () => {
  const wrapped = new TypeError('fetch failed', { cause: socketError('ECONNREFUSED') });
  assert.equal(isClusterUnreachable(wrapped), true);
  const refusal = new Error('apply', { cause: new KubeApiError(403, 'Forbidden', 'no') });
  assert.equal(isClusterUnreachable(refusal), false);
});
