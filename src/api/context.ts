/**
 * What every REST API handler shares: its dependencies, who is calling (with the scopes they
 * hold right now), and reading JSON and query input through zod so that a bad value is a 400
 * naming its field.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { AuthService, Identity } from '../auth/auth-service.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { ServerService } from '../servers/server-service.ts';
import type { Store, User } from '../store/types.ts';
import { expandScopes, intersectScopes, mentionsGroups, rightsOf } from './scopes.ts';

export interface ApiDeps {
  readonly auth: AuthService;
  readonly servers: ServerService;
  readonly store: Store;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Page size when a list request names no `limit` (JupyterHub's api_page_default_limit). */
  readonly pageDefaultLimit?: number;
  /** Largest page a request may ask for (JupyterHub's api_page_max_limit). */
  readonly pageMaxLimit?: number;
  /**
   * How long `DELETE …/server` waits for the stop before answering 202 "still stopping"
   * (JupyterHub's slow_stop_timeout). Default 10 s.
   */
  readonly slowStopMs?: number;
}

/** Shared with the web app's middleware, which sets `identity` from the cookie or token. */
export interface ApiEnv {
  Variables: { identity: Identity | undefined };
}

export type ApiContext = Context<ApiEnv>;

export interface Caller {
  readonly identity: Identity;
  /** Read from the store on this request: a revoked admin right is gone at once. */
  readonly user: User;
  /** Effective scopes: the token's (or, for a session, all) ∩ the owner's current rights. */
  readonly scopes: ReadonlySet<string>;
  readonly tokenId: number | undefined;
}

/**
 * The XSRF header for cookie-authenticated API calls (JupyterHub's name for it), checked with
 * the cross-site rule before any handler runs (src/web/cross-site-guard.ts).
 */
export const XSRF_HEADER = 'X-XSRFToken';

/**
 * JupyterHub answers missing or invalid credentials on its API with 403, and its clients
 * (HubAuth) read 403 as "no such user" but anything else as a failure: so do we.
 */
export function notAuthenticated(): GanymedeError {
  return new GanymedeError('forbidden', 'Missing or invalid credentials.');
}

export async function authenticate(c: ApiContext, deps: ApiDeps): Promise<Caller> {
  const identity = c.get('identity');
  if (!identity) throw notAuthenticated();
  const user = await deps.store.getUserById(identity.userId);
  if (!user) throw notAuthenticated();
  const rights = rightsOf(user);
  // A group filter on the token is resolved against the owner, the only user a non-admin's
  // rights name; their groups are read only then.
  const ownerGroups =
    identity.token && mentionsGroups(identity.token.scopes)
      ? await deps.store.listUserGroups(user.id)
      : [];
  const scopes = identity.token
    ? intersectScopes(expandScopes(identity.token.scopes, user), rights, (name) =>
        name === user.name ? ownerGroups : [],
      )
    : rights;
  return { identity, user, scopes, tokenId: identity.token?.id };
}

function fieldOf(issue: z.core.$ZodIssue, fallback: string): string {
  return issue.path.length ? issue.path.map(String).join('.') : fallback;
}

function badInput(error: z.ZodError, fallback: string): GanymedeError {
  const issue = error.issues[0];
  const field = issue ? fieldOf(issue, fallback) : fallback;
  return new GanymedeError('bad_request', `${field}: ${issue?.message ?? 'invalid value'}`, {
    field,
  });
}

/**
 * Reads a JSON body; an empty body is `undefined` (JupyterHub treats it as "no options"), which
 * the schema may accept or refuse.
 */
export async function readJson<S extends z.ZodType>(
  c: ApiContext,
  schema: S,
): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown = undefined;
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new GanymedeError('bad_request', 'The request body is not valid JSON.', {
        field: 'body',
      });
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badInput(parsed.error, 'body');
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: ApiContext, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw badInput(parsed.error, 'query');
  return parsed.data;
}

export function nowOf(deps: ApiDeps): Date {
  return deps.now ? deps.now() : new Date();
}
