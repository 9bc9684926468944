import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideForwardAuth, type DecisionInput } from './decide.ts';
import { readOriginalRequest } from './original-request.ts';

const alice = { user: 'alice', admin: false };
const bob = { user: 'bob', admin: false };
const root = { user: 'root', admin: true };
const alicesServer = { user: 'alice', server: '' };

function input(over: Partial<DecisionInput> & { method?: string; origin?: string }): DecisionInput {
  const request = readOriginalRequest({
    'x-original-url': 'https://alice.nb.example.org/user/alice/lab',
    'x-original-method': over.method ?? 'GET',
    ...(over.origin === undefined ? {} : { origin: over.origin }),
  });
  return {
    request,
    label: 'alice',
    identity: alice,
    server: alicesServer,
    hasSessionCookie: true,
    ...over,
  };
}

test('the owner and admins are let in; others are refused', () => {
  assert.equal(decideForwardAuth(input({})).kind, 'allow');
  assert.equal(decideForwardAuth(input({ identity: root })).kind, 'allow');
  assert.deepEqual(decideForwardAuth(input({ identity: bob })), {
    kind: 'forbidden',
    reason: 'not-owner',
  });
});

test('no identity asks for sign-in; no server is a refusal, never a hint', () => {
  assert.deepEqual(decideForwardAuth(input({ identity: undefined })), { kind: 'unauthenticated' });
  assert.deepEqual(decideForwardAuth(input({ server: undefined })), {
    kind: 'forbidden',
    reason: 'no-server',
  });
});

test('state changes must come from the notebook host itself', () => {
  const own = 'https://alice.nb.example.org';
  assert.equal(decideForwardAuth(input({ method: 'POST', origin: own })).kind, 'allow');
  assert.deepEqual(
    decideForwardAuth(input({ method: 'POST', origin: 'https://bob.nb.example.org' })),
    { kind: 'forbidden', reason: 'foreign-origin' },
  );
  assert.deepEqual(decideForwardAuth(input({ method: 'DELETE' })), {
    kind: 'forbidden',
    reason: 'missing-origin',
  });
  // A script with an API token sends neither cookie nor Origin.
  assert.equal(
    decideForwardAuth(input({ method: 'DELETE', hasSessionCookie: false })).kind,
    'allow',
  );
});

test('unusable sub-requests are bad requests', () => {
  assert.equal(decideForwardAuth(input({ request: undefined })).kind, 'bad-request');
  assert.equal(decideForwardAuth(input({ label: undefined })).kind, 'bad-request');
});
