/**
 * The hub's side of the cross-site rule (src/security/cross-site.ts, docs/security.md) for its
 * forms and its REST API, and the hub's `_xsrf` cookie that non-browser clients read the
 * token from, as they do with JupyterHub.
 *
 * - Every state-changing request is judged once, here, before any handler runs. A signed-in
 *   session always needs the hub's token (form field `_xsrf`, header `X-XSRFToken` or
 *   `X-CSRFToken`, or `?_xsrf=`), as with JupyterHub; an anonymous form (sign-in, one-time
 *   password links) needs our `Origin` or the anonymous token sent back; a token-authenticated
 *   API request is judged by its token alone.
 * - GET navigations (no `Sec-Fetch-Mode`, or `navigate`) outside the API get the `_xsrf` cookie
 *   (path `/hub/`, readable by scripts, SameSite=Lax) when they lack the right one, as
 *   JupyterHub sets it only on page views.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AuthService } from '../auth/auth-service.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import {
  crossSiteMessage,
  isStateChanging,
  judgeCrossSite,
  normaliseOrigin,
  type Credential,
} from '../security/cross-site.ts';
import {
  ANONYMOUS_XSRF_SECONDS,
  cookieValues,
  hubXsrfStatus,
  isAnonymousXsrf,
  newAnonymousXsrf,
  sentXsrf,
  XSRF_COOKIE,
  XSRF_FIELD,
} from '../security/xsrf.ts';
import type { WebEnv } from './portal/guards.ts';

export const HUB_XSRF_PATH = '/hub/';

export interface CrossSiteGuardOptions {
  readonly auth: AuthService;
  /** The configured public origin; otherwise the request's own (from `Host`). */
  readonly publicOrigin: string | undefined;
  readonly secure: boolean;
}

/** Sets the hub's `_xsrf` cookie to `value` (a session's token, or an anonymous one). */
export function setHubXsrfCookie(c: Context, value: string, secure: boolean, anonymous: boolean) {
  setCookie(c, XSRF_COOKIE, value, {
    path: HUB_XSRF_PATH,
    sameSite: 'Lax',
    secure,
    ...(anonymous ? { maxAge: ANONYMOUS_XSRF_SECONDS } : {}),
  });
}

export function createCrossSiteGuard(options: CrossSiteGuardOptions): MiddlewareHandler<WebEnv> {
  const { auth } = options;
  return async (c, next) => {
    const identity = c.get('identity');
    const isApi = c.req.path.startsWith('/hub/api/') || c.req.path === '/hub/api';
    const cookies = cookieValues(c.req.header('cookie'), XSRF_COOKIE);
    if (!isStateChanging(c.req.method)) {
      if (!isApi && c.req.method === 'GET' && navigating(c)) ensureCookie(c, cookies);
      await next();
      return;
    }
    // The API answers anonymous callers itself (403, as JupyterHub); an anonymous form
    // (sign-in) is judged as the session it is about to open.
    const credential: Credential = identity?.token
      ? 'token'
      : identity
        ? 'session'
        : isApi
          ? 'none'
          : 'session';
    const sessionToken = identity && !identity.token ? auth.xsrfToken(identity) : undefined;
    let sent = sentXsrf((n) => c.req.header(n), new URL(c.req.url).searchParams);
    if (sent === undefined && credential === 'session' && isForm(c)) {
      const field = (await c.req.parseBody({ all: true }))[XSRF_FIELD];
      sent = typeof field === 'string' ? field : undefined;
    }
    const refusal = judgeCrossSite({
      method: c.req.method,
      upgrade: false,
      origin: c.req.header('origin'),
      secFetchSite: c.req.header('sec-fetch-site'),
      ownOrigin: options.publicOrigin ?? normaliseOrigin(new URL(c.req.url).origin),
      credential,
      xsrf: () => hubXsrfStatus({ sent, cookies, sessionToken }),
      originSuffices: identity === undefined,
    });
    if (refusal !== undefined) {
      const field = refusal.startsWith('xsrf') ? (isApi ? 'X-XSRFToken' : XSRF_FIELD) : undefined;
      throw new GanymedeError('forbidden', crossSiteMessage(refusal, 'hub'), {
        detail: refusal,
        ...(field ? { field } : {}),
      });
    }
    await next();
  };

  function ensureCookie(c: Context<WebEnv>, cookies: readonly string[]): void {
    const identity = c.get('identity');
    if (identity && !identity.token) {
      const token = auth.xsrfToken(identity);
      if (!cookies.includes(token)) setHubXsrfCookie(c, token, options.secure, false);
      c.set('xsrf', token);
    } else if (!identity) {
      let token = cookies.find(isAnonymousXsrf);
      if (token === undefined) {
        token = newAnonymousXsrf();
        setHubXsrfCookie(c, token, options.secure, true);
      }
      c.set('xsrf', token);
    }
  }
}

function navigating(c: Context): boolean {
  const mode = c.req.header('sec-fetch-mode');
  return mode === undefined || mode === 'navigate';
}

function isForm(c: Context): boolean {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}
