import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  deriveSealKey,
  openPendingSignIn,
  sealPendingSignIn,
  type PendingSignIn,
} from './pending-sign-in.ts';

const pending: PendingSignIn = {
  state: 'state-value',
  nonce: 'nonce-value',
  codeVerifier: 'v'.repeat(43),
  next: '/hub/home',
  expiresAt: 10_000,
};
const key = deriveSealKey('client-secret');

describe('pending sign-in cookie', () => {
  it('opens what it sealed, before it expires', () => {
    const sealed = sealPendingSignIn(key, pending);
    assert.deepEqual(openPendingSignIn(key, sealed, 9_999), pending);
    assert.ok(!sealed.includes('nonce-value'), 'the content is not readable');
  });

  it('refuses it once expired', () => {
    assert.equal(openPendingSignIn(key, sealPendingSignIn(key, pending), 10_000), undefined);
  });

  it('refuses any changed byte', () => {
    const raw = Buffer.from(sealPendingSignIn(key, pending), 'base64url');
    for (const at of [0, 12, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[at] = (copy[at] ?? 0) ^ 1;
      assert.equal(openPendingSignIn(key, copy.toString('base64url'), 0), undefined, `byte ${at}`);
    }
  });

  it('refuses a cookie sealed with another client secret', () => {
    const other = sealPendingSignIn(deriveSealKey('another-secret'), pending);
    assert.equal(openPendingSignIn(key, other, 0), undefined);
  });

  it('refuses missing, short and oversized values', () => {
    assert.equal(openPendingSignIn(key, undefined, 0), undefined);
    assert.equal(openPendingSignIn(key, 'abc', 0), undefined);
    assert.equal(openPendingSignIn(key, 'a'.repeat(5000), 0), undefined);
  });
});
