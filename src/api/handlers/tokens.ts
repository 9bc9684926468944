/**
 * `/users/{name}/tokens`: list, create, read and revoke API tokens. A new token's scopes must
 * lie within both the owner's rights and the caller's own (so a narrow token cannot mint a
 * wider one); at use time they are intersected with the owner's rights again, so a token never
 * outlives a right its owner loses.
 */
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { findUserFor } from '../access.ts';
import {
  authenticate,
  nowOf,
  readJson,
  type ApiContext,
  type ApiDeps,
  type Caller,
} from '../context.ts';
import { parseTokenId, tokenModel } from '../models.ts';
import { createTokenBody } from '../schemas.ts';
import {
  expandScopes,
  isRoleName,
  isSubset,
  rightsOf,
  roleScopes,
  scopeProblem,
} from '../scopes.ts';
import type { User } from '../../store/types.ts';

function requestedScopes(
  body: { roles?: string[] | null | undefined; scopes?: string[] | null | undefined } | undefined,
) {
  const raw: string[] = [];
  (body?.roles ?? []).forEach((role, i) => {
    if (!isRoleName(role)) {
      throw new GanymedeError('bad_request', `There is no role called "${role}".`, {
        field: `roles.${i}`,
      });
    }
    raw.push(...roleScopes(role));
  });
  (body?.scopes ?? []).forEach((scope, i) => {
    const problem = scopeProblem(scope);
    if (problem) throw new GanymedeError('bad_request', problem, { field: `scopes.${i}` });
    raw.push(scope);
  });
  // Nothing asked for: JupyterHub's default token role, everything the owner may do.
  return raw.length ? [...new Set(raw)] : ['inherit'];
}

function checkWithinRights(caller: Caller, owner: User, raw: readonly string[]): void {
  const wanted = expandScopes(raw, owner);
  if (!isSubset(wanted, rightsOf(owner)) || !isSubset(wanted, caller.scopes)) {
    throw new GanymedeError('forbidden', 'A token cannot have more rights than you have.', {
      field: 'scopes',
    });
  }
}

export async function listTokens(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['read:tokens']);
  const now = nowOf(deps).getTime();
  const tokens = (await deps.store.listApiTokens(user.id)).filter(
    (t) => !t.expiresAt || t.expiresAt.getTime() > now,
  );
  return c.json({ api_tokens: tokens.map((t) => tokenModel(user, t)) });
}

export async function createToken(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const body = await readJson(c, createTokenBody);
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['tokens']);
  const scopes = requestedScopes(body);
  checkWithinRights(caller, user, scopes);
  const fallbackNote =
    caller.user.id === user.id ? 'Requested via api' : `Requested via api by ${caller.user.name}`;
  const note = body?.note?.length ? body.note : fallbackNote;
  const expiresIn = body?.expires_in ?? 0;
  const { token, record } = await deps.auth.createToken(user.id, note, {
    scopes,
    expiresAt: expiresIn > 0 ? new Date(nowOf(deps).getTime() + expiresIn * 1000) : null,
  });
  deps.log.info({ by: caller.user.name, user: user.name, id: record.id }, 'created an API token');
  return c.json({ ...tokenModel(user, record), token }, 201);
}

async function findToken(deps: ApiDeps, user: User, rawId: string) {
  const id = parseTokenId(rawId);
  const now = nowOf(deps).getTime();
  const token = (await deps.store.listApiTokens(user.id)).find(
    (t) => t.id === id && (!t.expiresAt || t.expiresAt.getTime() > now),
  );
  if (!token) throw new GanymedeError('not_found', 'No such token.');
  return token;
}

export async function getToken(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['read:tokens']);
  const token = await findToken(deps, user, c.req.param('token_id') ?? '');
  return c.json(tokenModel(user, token));
}

export async function deleteToken(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['tokens']);
  const token = await findToken(deps, user, c.req.param('token_id') ?? '');
  await deps.store.deleteApiToken(user.id, token.id);
  deps.auth.forget(); // a revoked token must not live on in this replica's identity cache
  deps.log.info({ by: caller.user.name, user: user.name, id: token.id }, 'revoked an API token');
  return c.body(null, 204);
}
