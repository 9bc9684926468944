/**
 * The hub's own pages and endpoints under /hub/ (everything but /user/, which the proxy
 * serves). Handlers follow one shape: validate the input → authorise → call the server
 * service → respond; errors are thrown as GanymedeError and rendered in one place below.
 */
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { secureHeaders } from 'hono/secure-headers';
import { z } from 'zod';
import { createApiApp, type ApiDeps } from '../api/api-app.ts';
import type { AuthService, Identity } from '../auth/auth-service.ts';
import type { OidcSignIn } from '../auth/oidc/oidc-sign-in.ts';
import { GanymedeError, isGanymedeError } from '../errors/ganymede-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { ServerService } from '../servers/server-service.ts';
import type { Store } from '../store/types.ts';
import { createAdminRoutes } from './admin/admin-routes.ts';
import { layout } from './layout.ts';
import { loginPage, type SignInProvider } from './pages/login.ts';
import { createGuards, type WebEnv } from './portal/guards.ts';
import { loginUrl } from './portal/hub-urls.ts';
import { createJupyterHubRoutes } from './portal/jupyterhub-routes.ts';
import { createPortalRoutes } from './portal/portal-routes.ts';
import { safeNext } from './safe-next.ts';
import { createCrossSiteGuard, setHubXsrfCookie } from './cross-site-guard.ts';
import { cookieValues, isAnonymousXsrf, XSRF_COOKIE } from '../security/xsrf.ts';

export const SESSION_COOKIE = 'ganymede-session';
/** The pending OpenID Connect sign-in (src/auth/oidc/pending-sign-in.ts), only on /hub/oauth/. */
export const OIDC_COOKIE = 'ganymede-oidc';

export interface WebDeps {
  readonly auth: AuthService;
  readonly servers: ServerService;
  readonly store: Store;
  readonly log: Logger;
  /** `https://…` when served over HTTPS: decides the cookie's Secure flag. */
  readonly publicUrl: string | undefined;
  readonly sessionHours: number;
  /**
   * The session cookie's `Domain` (ingress routing mode, src/ingress/config.ts), so browsers
   * send it to the notebook hosts too; unset: a host-only cookie (the safer default).
   */
  readonly cookieDomain?: string | undefined;
  /** Sign-in with an organisation's OpenID Connect provider, when configured. */
  readonly oidc?: OidcSignIn | undefined;
  /** REST API settings (page sizes, slow-stop wait, clock); defaults are JupyterHub's. */
  readonly api?: Pick<ApiDeps, 'pageDefaultLimit' | 'pageMaxLimit' | 'slowStopMs' | 'now'>;
}

type Env = WebEnv;

const staticFiles: Record<string, { type: string; body: string }> = {
  'style.css': { type: 'text/css; charset=utf-8', body: read('style.css') },
  'progress.js': { type: 'text/javascript; charset=utf-8', body: read('progress.js') },
  'copy.js': { type: 'text/javascript; charset=utf-8', body: read('copy.js') },
};

function read(name: string): string {
  return readFileSync(new URL(`./static/${name}`, import.meta.url), 'utf8');
}

const loginForm = z.object({ username: z.string().max(1024), password: z.string().max(1024) });

/** The peer address (the hub is the TLS/HTTP end; a fronting proxy's address is one key). */
function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** Reads the identity from the session cookie or an `Authorization: token|Bearer` header. */
export async function identify(
  auth: AuthService,
  cookie: string | undefined,
  authorization: string | undefined,
): Promise<Identity | undefined> {
  if (authorization) {
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization);
    return m ? auth.fromToken(m[1]) : undefined;
  }
  return auth.fromSession(cookie);
}

/** The anonymous `_xsrf` value a sign-in form posted back (to render the form again). */
function xsrfOf(c: Context<Env>): string | undefined {
  return cookieValues(c.req.header('cookie'), XSRF_COOKIE).find(isAnonymousXsrf);
}

export function createWebApp(deps: WebDeps): Hono<Env> {
  const { auth, servers, store, log } = deps;
  const secure = deps.publicUrl?.startsWith('https:') ?? false;
  const provider: SignInProvider | undefined = deps.oidc && {
    displayName: deps.oidc.displayName,
  };
  const app = new Hono<Env>();

  function setSessionCookie(c: Context<Env>, sessionId: string): void {
    // The new session's XSRF token replaces the anonymous one at once, so a client that read
    // the cookie on the sign-in page reads the right one after signing in.
    setHubXsrfCookie(c, auth.xsrfTokenOfSessionId(sessionId), secure, false);
    setCookie(c, SESSION_COOKIE, sessionId, {
      httpOnly: true,
      sameSite: 'Lax',
      secure,
      path: '/',
      maxAge: deps.sessionHours * 3600,
      ...(deps.cookieDomain === undefined ? {} : { domain: deps.cookieDomain }),
    });
  }

  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
      // Not `no-referrer` (the default): with it, browsers send `Origin: null` on our own form
      // posts, which the cross-site rule refuses as an opaque origin (docs/security.md).
      // `same-origin` keeps the real Origin for our own requests and sends nothing elsewhere.
      referrerPolicy: 'same-origin',
    }),
  );
  app.use(async (c, next) => {
    c.set(
      'identity',
      await identify(auth, getCookie(c, SESSION_COOKIE), c.req.header('authorization')),
    );
    await next();
  });
  // The cross-site rule (docs/security.md) for every form and API call, and the hub's _xsrf
  // cookie on page views.
  app.use(
    createCrossSiteGuard({
      auth,
      publicOrigin: deps.publicUrl === undefined ? undefined : new URL(deps.publicUrl).origin,
      secure,
    }),
  );

  const guards = createGuards(auth, store);

  app.get('/', (c) => c.redirect('/hub/home'));
  app.get('/hub', (c) => c.redirect('/hub/home'));
  app.get('/hub/health', (c) => c.json({ status: 'ok' }));
  app.get('/hub/static/:file', (c) => {
    const file = staticFiles[c.req.param('file')];
    if (!file) throw new GanymedeError('not_found', 'No such file.');
    return c.body(file.body, 200, { 'content-type': file.type, 'cache-control': 'max-age=300' });
  });

  app.get('/hub/login', (c) => {
    const next = safeNext(c.req.query('next'));
    if (c.get('identity')) return c.redirect(next);
    return c.html(loginPage(next, c.get('xsrf'), undefined, provider));
  });

  app.post('/hub/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    const parsed = loginForm.safeParse(await c.req.parseBody());
    if (!parsed.success) {
      return c.html(
        loginPage(next, xsrfOf(c), 'Enter your user name and password.', provider),
        400,
      );
    }
    const address = clientAddress(c);
    try {
      const { sessionId } = await auth.login(parsed.data.username, parsed.data.password, address);
      setSessionCookie(c, sessionId);
      return c.redirect(next);
    } catch (e) {
      if (isGanymedeError(e) && (e.code === 'unauthorized' || e.code === 'too_many_requests')) {
        return c.html(
          loginPage(next, xsrfOf(c), e.userMessage, provider),
          e.code === 'unauthorized' ? 401 : 429,
        );
      }
      throw e;
    }
  });

  // OpenID Connect sign-in (src/auth/oidc/oidc-sign-in.ts). Both routes are GET: the first is
  // a link, the second the provider's redirect back (OIDC Core 1.0 §3.1.2.5). The pending
  // cookie is SameSite=Lax so that top-level redirect still carries it, and is scoped to
  // /hub/oauth/ and deleted on first use.
  const oidc = deps.oidc;
  if (oidc) {
    const refusal = (c: Context<Env>, e: unknown) => {
      if (!isGanymedeError(e) || (e.code !== 'forbidden' && e.code !== 'unavailable')) throw e;
      log.warn({ reason: e.userMessage, detail: e.detail }, 'OpenID Connect sign-in refused');
      return c.html(loginPage('/hub/home', undefined, e.userMessage, provider), e.status as 403);
    };
    app.get('/hub/oauth/login', async (c) => {
      try {
        const start = await oidc.begin(safeNext(c.req.query('next')));
        setCookie(c, OIDC_COOKIE, start.cookie, {
          httpOnly: true,
          sameSite: 'Lax',
          secure,
          path: '/hub/oauth/',
          maxAge: start.cookieMaxAgeSeconds,
        });
        return c.redirect(start.location);
      } catch (e) {
        return refusal(c, e);
      }
    });
    app.get('/hub/oauth/callback', async (c) => {
      const sealed = getCookie(c, OIDC_COOKIE);
      deleteCookie(c, OIDC_COOKIE, { path: '/hub/oauth/', secure, httpOnly: true });
      try {
        const result = await oidc.finish(new URL(c.req.url).searchParams, sealed);
        setSessionCookie(c, result.sessionId);
        return c.redirect(safeNext(result.next));
      } catch (e) {
        return refusal(c, e);
      }
    });
  }

  app.post('/hub/logout', async (c) => {
    await guards.form(c);
    const sessionId = getCookie(c, SESSION_COOKIE);
    if (sessionId) await auth.logout(sessionId);
    deleteCookie(c, SESSION_COOKIE, {
      path: '/',
      ...(deps.cookieDomain === undefined ? {} : { domain: deps.cookieDomain }),
    });
    return c.redirect('/hub/login');
  });

  app.route(
    '/',
    createPortalRoutes({ auth, servers, store, log, guards, setSession: setSessionCookie }),
  );

  app.route('/', createJupyterHubRoutes({ servers, store, guards }));

  app.route('/hub/api', createApiApp({ auth, servers, store, log, ...deps.api }));

  app.route(
    '/',
    createAdminRoutes({ auth, servers, store, log, guards, publicUrl: deps.publicUrl }),
  );

  app.notFound(() => {
    throw new GanymedeError('not_found', 'There is nothing at this address.');
  });

  app.onError((err, c) => {
    const e = isGanymedeError(err)
      ? err
      : new GanymedeError('internal', 'Something went wrong on our side.', { cause: err });
    if (e.code === 'internal') log.error({ err, path: c.req.path }, 'request failed');
    const wantsJson =
      c.req.path.startsWith('/hub/api/') ||
      (c.req.header('accept') ?? '').includes('application/json');
    if (wantsJson) {
      return c.json(
        { status: e.status, message: e.userMessage, ...(e.field ? { field: e.field } : {}) },
        e.status as 400,
      );
    }
    if (e.code === 'unauthorized' && c.req.method === 'GET') {
      // The query is kept (a user-redirect or nbgitpuller link is mostly query), a token not.
      const url = new URL(c.req.url);
      return c.redirect(loginUrl(url.pathname + url.search));
    }
    const identity = c.get('identity');
    return c.html(
      layout(
        'Problem',
        identity,
        html`<div class="card">
          <h1>${e.userMessage}</h1>
          <p><a href="/hub/home">Back to your home page</a></p>
        </div>`,
        identity ? auth.xsrfToken(identity) : '',
      ),
      e.status as 400,
    );
  });

  return app;
}
