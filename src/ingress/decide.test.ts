import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rightsOf } from '../api/scopes.ts';
import type { Identity } from '../proxy/types.ts';
import { decideForwardAuth, type DecisionInput } from './decide.ts';
import { readOriginalRequest } from './original-request.ts';

const session = (user: string, admin = false): Identity => ({
  user,
  admin,
  credential: 'session',
  scopes: rightsOf({ name: user, admin }),
});
const token = (user: string, scopes: string[]): Identity => ({
  user,
  admin: false,
  credential: 'token',
  scopes: new Set(scopes),
});
const alice = session('alice');
const alicesServer = { user: 'alice', server: '' };

function input(
  over: Partial<DecisionInput> & { method?: string; origin?: string; headers?: object },
): DecisionInput {
  const request = readOriginalRequest({
    'x-original-url': 'https://alice.nb.example.org/user/alice/lab',
    'x-original-method': over.method ?? 'GET',
    ...(over.origin === undefined ? {} : { origin: over.origin }),
    ...over.headers,
  });
  return {
    request,
    label: 'alice',
    identity: alice,
    server: alicesServer,
    xsrf: { sent: undefined, cookies: [] },
    ...over,
  };
}

test('access:servers decides: the owner and admins by their rights, tokens by their scopes', () => {
  assert.equal(decideForwardAuth(input({})).kind, 'allow');
  assert.equal(decideForwardAuth(input({ identity: session('root', true) })).kind, 'allow');
  assert.deepEqual(decideForwardAuth(input({ identity: session('bob') })), {
    kind: 'forbidden',
    reason: 'no-access',
  });
  assert.deepEqual(decideForwardAuth(input({ identity: token('alice', ['read:servers']) })), {
    kind: 'forbidden',
    reason: 'no-access',
  });
  const grouped = token('root', ['access:servers!group=g']);
  assert.equal(decideForwardAuth(input({ identity: grouped, ownerGroups: ['g'] })).kind, 'allow');
  assert.equal(decideForwardAuth(input({ identity: grouped })).kind, 'forbidden');
});

test('no identity asks for sign-in; no server is a refusal, never a hint', () => {
  assert.deepEqual(decideForwardAuth(input({ identity: undefined })), { kind: 'unauthenticated' });
  assert.deepEqual(decideForwardAuth(input({ server: undefined })), {
    kind: 'forbidden',
    reason: 'no-server',
  });
});

test('state changes follow the cross-site rule, with the notebook host as own origin', () => {
  const own = 'https://alice.nb.example.org';
  assert.equal(decideForwardAuth(input({ method: 'POST', origin: own })).kind, 'allow');
  assert.deepEqual(
    decideForwardAuth(input({ method: 'POST', origin: 'https://bob.nb.example.org' })),
    { kind: 'forbidden', reason: 'foreign-origin' },
  );
  assert.deepEqual(decideForwardAuth(input({ method: 'DELETE' })), {
    kind: 'forbidden',
    reason: 'xsrf-missing',
  });
  assert.equal(
    decideForwardAuth(input({ method: 'DELETE', xsrf: { sent: 'abcd', cookies: ['abcd'] } })).kind,
    'allow',
  );
  // A token is judged alone, but never from another site.
  const scripted = token('alice', ['access:servers!user=alice']);
  assert.equal(decideForwardAuth(input({ method: 'DELETE', identity: scripted })).kind, 'allow');
  assert.deepEqual(
    decideForwardAuth(
      input({ method: 'DELETE', identity: scripted, headers: { 'sec-fetch-site': 'cross-site' } }),
    ),
    { kind: 'forbidden', reason: 'cross-site-fetch' },
  );
});

test('unusable sub-requests are bad requests', () => {
  assert.equal(decideForwardAuth(input({ request: undefined })).kind, 'bad-request');
  assert.equal(decideForwardAuth(input({ label: undefined })).kind, 'bad-request');
});
