/**
 * Who a request to `/user/…`, forward-auth or the ops routes comes from, with what it may do
 * there: the credential (API token or session) and its effective scopes (src/api/scopes.ts),
 * computed once per cached identity rather than per request.
 *
 * On `/user/` paths an Authorization header is often not ours: JupyterLab may send its
 * server's own token. A hub token wins; then the query token the proxy offers (API and
 * WebSocket requests only, src/proxy/request-policy.ts); otherwise the session cookie decides.
 */
import type { IncomingMessage } from 'node:http';
import { expandScopes, intersectScopes, mentionsGroups, rightsOf } from '../api/scopes.ts';
import type { AuthService, Identity as AuthIdentity } from '../auth/auth-service.ts';
import type { Store } from '../store/types.ts';
import { SESSION_COOKIE } from '../web/app.ts';
import { readCookie } from './cookie.ts';

export interface RequestIdentity extends AuthIdentity {
  readonly credential: 'token' | 'session';
  readonly scopes: ReadonlySet<string>;
}

const TOKEN_HEADER = /^(?:token|bearer)\s+(\S+)$/i;

export function createRequestIdentifier(auth: AuthService, store: Pick<Store, 'listUserGroups'>) {
  // The auth service hands out the same identity object while it caches it (a few seconds),
  // so its scopes are computed once per cache period.
  const withScopes = new WeakMap<AuthIdentity, RequestIdentity>();

  async function scoped(identity: AuthIdentity): Promise<RequestIdentity> {
    const known = withScopes.get(identity);
    if (known) return known;
    const owner = { name: identity.user, admin: identity.admin };
    const rights = rightsOf(owner);
    let scopes = rights;
    if (identity.token) {
      const groups = mentionsGroups(identity.token.scopes)
        ? await store.listUserGroups(identity.userId)
        : [];
      scopes = intersectScopes(expandScopes(identity.token.scopes, owner), rights, (user) =>
        user === identity.user ? groups : [],
      );
    }
    const result: RequestIdentity = {
      ...identity,
      credential: identity.token ? 'token' : 'session',
      scopes,
    };
    withScopes.set(identity, result);
    return result;
  }

  return async function identify(
    req: IncomingMessage,
    queryToken?: string,
  ): Promise<RequestIdentity | undefined> {
    const header = TOKEN_HEADER.exec(req.headers.authorization ?? '')?.[1];
    const byToken =
      (header === undefined ? undefined : await auth.fromToken(header)) ??
      (queryToken === undefined ? undefined : await auth.fromToken(queryToken));
    if (byToken) return scoped(byToken);
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    const bySession = cookie === undefined ? undefined : await auth.fromSession(cookie);
    return bySession && scoped(bySession);
  };
}
