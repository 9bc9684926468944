/**
 * The authenticating proxy for `/user/<name>/…`, HTTP and WebSocket. For each request, in
 * this order (each step a pure decision from a sibling module, the I/O here):
 *
 * 1. routing: parse the path, refuse anything that could decode into another route;
 * 2. page view or API/WebSocket call (request-policy.ts), which decides whether `?token=` is
 *    taken;
 * 3. authentication (API token from the header or, for API/WebSocket, the query; else the hub
 *    session);
 * 4. the cross-site rule (src/security/cross-site.ts) for state-changing methods and every
 *    WebSocket upgrade, with Jupyter's own `_xsrf` cookie/header pair as the XSRF token (403);
 * 5. authorisation: `access:servers` covering the server (src/api/scopes.ts); one 403 whether
 *    or not the server exists;
 * 6. body size, by `Content-Length` at once or counted while streaming (413);
 * 7. the route: a stopped server gets the hub's "start your server" page (or 503 JSON);
 * 8. activity (throttled) and forwarding, with `?token=` removed from the URL, the server's
 *    token injected and the hub session cookie and any client-supplied identity headers
 *    removed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Route, ServerRef } from '../backends/types.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { createActivityThrottle } from './activity-throttle.ts';
import { bodyTooLarge, declaredLength } from './body-limit.ts';
import { forwardHttp } from './forward-http.ts';
import { forwardUpgrade } from './forward-upgrade.ts';
import { hasGroupFilter, mayAccessServer } from '../api/scopes.ts';
import { crossSiteMessage, hubOriginOf, judgeCrossSite } from '../security/cross-site.ts';
import { cookieValues, jupyterXsrfStatus, sentXsrf, XSRF_COOKIE } from '../security/xsrf.ts';
import { parseProxyPath, type PathRejection, type ProxyPathDecision } from './parse-path.ts';
import { isApiPath, isPageView, queryToken, withoutQueryToken } from './request-policy.ts';
import { refuseUpgrade, sendError, sendRedirect } from './responses.ts';
import type { Identity, Proxy, ProxyOptions } from './types.ts';
import { createUpstreamPool, type UpstreamTarget } from './upstream-pool.ts';
import { upstreamRequestHeaders } from './upstream-headers.ts';

export type { Identity, Proxy, ProxyOptions } from './types.ts';

type RouteDecision = Extract<ProxyPathDecision, { kind: 'route' }>;

const DEFAULT_ACTIVITY_INTERVAL_MS = 60_000;
const DEFAULT_MAX_SOCKETS_PER_SERVER = 64;

export function createProxy<I extends Identity>(options: ProxyOptions<I>): Proxy {
  const now = options.now ?? (() => Date.now());
  const log = options.log;
  const pool = createUpstreamPool(options.maxSocketsPerServer ?? DEFAULT_MAX_SOCKETS_PER_SERVER);
  const activity = createActivityThrottle({
    intervalMs: options.activityIntervalMs ?? DEFAULT_ACTIVITY_INTERVAL_MS,
    now,
    record: (ref, at) => {
      options.recordActivity(ref, at);
    },
    onError: (error) => log?.error({ err: error }, 'recording server activity failed'),
  });
  const liveSockets = new Set<() => void>();
  let closed = false;

  /**
   * Runs `next` with the identity, synchronously when `authenticate` answered synchronously.
   * `?token=` is offered only for API and WebSocket requests (request-policy.ts).
   */
  function withIdentity(
    req: IncomingMessage,
    takesQueryToken: boolean,
    next: (identity: I | undefined) => void,
    fail: (error: unknown) => void,
  ): void {
    let result: ReturnType<ProxyOptions<I>['authenticate']>;
    try {
      result = options.authenticate(req, takesQueryToken ? queryToken(req.url ?? '') : undefined);
    } catch (error) {
      fail(error);
      return;
    }
    if (result instanceof Promise) result.then(next, fail);
    else next(result);
  }

  /** The cross-site rule (src/security/cross-site.ts), Jupyter's `_xsrf` as the XSRF token. */
  function refusalFor(
    req: IncomingMessage,
    upgrade: boolean,
    identity: I | undefined,
  ): GanymedeError | undefined {
    const refusal = judgeCrossSite({
      method: req.method,
      upgrade,
      origin: req.headers.origin,
      secFetchSite: headerValue(req.headers['sec-fetch-site']),
      ownOrigin: hubOriginOf(options.publicOrigin, req.headers.host, isEncrypted(req)),
      credential: identity?.credential ?? 'none',
      xsrf: () =>
        jupyterXsrfStatus(
          sentXsrf((name) => headerValue(req.headers[name]), searchParams(req.url)),
          cookieValues(req.headers.cookie, XSRF_COOKIE),
        ),
      // The proxy streams bodies, so Jupyter's `_xsrf` form field is out of its sight: our
      // own Origin stands in, as it always has for browsers here.
      originSuffices: true,
    });
    if (refusal === undefined) return undefined;
    log?.info(
      { url: req.url, origin: req.headers.origin, rejection: refusal },
      'refused a cross-site request',
    );
    return new GanymedeError('forbidden', crossSiteMessage(refusal, 'notebook'), {
      detail: refusal,
    });
  }

  /**
   * Which of the two servers a path may name the identity may use: the default one and, when
   * the path's first segment could name a server, that one. Decided from the credential and
   * the path alone (plus the owner's groups for `!group=` filters), before asking whether the
   * server exists, so a refusal says nothing about what exists.
   */
  function withAccess(
    identity: I,
    decision: RouteDecision,
    next: (access: { default: boolean; named: boolean }) => void,
    fail: (error: unknown) => void,
  ): void {
    const named = decision.named && { user: decision.ref.user, server: decision.named.server };
    const decide = (groups: readonly string[]) => {
      next({
        default: mayAccessServer(identity.scopes, decision.ref, groups),
        named: named !== undefined && mayAccessServer(identity.scopes, named, groups),
      });
    };
    const direct = {
      default: mayAccessServer(identity.scopes, decision.ref),
      named: named !== undefined && mayAccessServer(identity.scopes, named),
    };
    if (
      (direct.default && (named === undefined || direct.named)) ||
      options.groupsOf === undefined ||
      !hasGroupFilter(identity.scopes, 'access:servers')
    ) {
      next(direct);
      return;
    }
    let groups: Promise<readonly string[]> | readonly string[];
    try {
      groups = options.groupsOf(decision.ref.user);
    } catch (error) {
      fail(error);
      return;
    }
    if (groups instanceof Promise) groups.then(decide, fail);
    else decide(groups);
  }

  /**
   * Which of the user's servers a routed path is for: its named candidate when that server
   * runs (no lookup) or the hub says the user has it, else the default server. `redirect` is
   * set for `/user/<name>/<server>` without its trailing slash.
   */
  function withServer(
    decision: RouteDecision,
    namedAllowed: boolean,
    next: (ref: ServerRef, redirect?: string) => void,
    fail: (error: unknown) => void,
  ): void {
    const named = decision.named;
    // A named server the credential may not use is never looked up: the path goes to the
    // default server, whether or not that named server exists.
    if (named === undefined || !namedAllowed) {
      next(decision.ref);
      return;
    }
    const ref: ServerRef = { user: decision.ref.user, server: named.server };
    const pick = (has: boolean) => {
      if (has) next(ref, named.redirect);
      else next(decision.ref);
    };
    if (options.route(ref) !== undefined || options.hasServer === undefined) {
      pick(options.route(ref) !== undefined);
      return;
    }
    let result: boolean | Promise<boolean>;
    try {
      result = options.hasServer(ref);
    } catch (error) {
      fail(error);
      return;
    }
    if (result instanceof Promise) result.then(pick, fail);
    else pick(result);
  }

  /** Access, then the server: `next` gets the server the request may reach, else a 403. */
  function authorised(
    identity: I,
    decision: RouteDecision,
    next: (ref: ServerRef, redirect?: string) => void,
    refuse: (error: GanymedeError) => void,
  ): void {
    const fail = (error: unknown) => {
      log?.error({ err: error, ref: decision.ref }, 'deciding access failed');
      refuse(unavailable());
    };
    withAccess(
      identity,
      decision,
      (access) => {
        if (!access.default && !access.named) {
          refuse(forbiddenServer());
          return;
        }
        withServer(
          decision,
          access.named,
          (ref, redirect) => {
            if (ref.server === '' && !access.default) refuse(forbiddenServer());
            else next(ref, redirect);
          },
          fail,
        );
      },
      fail,
    );
  }

  function headersFor(req: IncomingMessage, route: Route, upgrade: boolean): string[] {
    return upstreamRequestHeaders(req.rawHeaders, {
      serverToken: route.token,
      sessionCookieName: options.sessionCookieName,
      clientAddress: req.socket.remoteAddress,
      protocol: isEncrypted(req) ? 'https' : 'http',
      upgrade,
    });
  }

  function resolveTarget(route: Route, ref: ServerRef): UpstreamTarget | undefined {
    const target = pool.resolve(route.target);
    if (target === undefined)
      log?.error({ ref, target: route.target }, 'route target is not an http(s) URL');
    return target;
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const decision = parseProxyPath(req.url ?? '');
    if (decision.kind === 'reject') {
      sendError(res, pathError(decision.reason), false);
      return;
    }
    if (decision.kind === 'redirect') {
      sendRedirect(res, withoutQueryToken(decision.location));
      return;
    }
    const asPage = isPageView({
      method: req.method,
      upgrade: false,
      apiPath: apiPathOf(decision),
      accept: req.headers.accept,
      requestedWith: headerValue(req.headers['x-requested-with']),
      fetchMode: headerValue(req.headers['sec-fetch-mode']),
    });
    if (closed) {
      sendError(res, unavailable(), asPage);
      return;
    }
    withIdentity(
      req,
      !asPage,
      (identity) => {
        proxyRequest(req, res, decision, identity, asPage);
      },
      (error: unknown) => {
        log?.error({ err: error, url: req.url }, 'authentication failed with an error');
        sendError(res, unavailable(), asPage);
      },
    );
  }

  function proxyRequest(
    req: IncomingMessage,
    res: ServerResponse,
    decision: RouteDecision,
    identity: I | undefined,
    asPage: boolean,
  ): void {
    const refusal = refusalFor(req, false, identity);
    if (refusal !== undefined) {
      sendError(res, refusal, asPage);
      return;
    }
    if (identity === undefined) {
      if (asPage) options.onUnauthenticated(req, res, withoutQueryToken(req.url ?? '/'));
      else sendError(res, new GanymedeError('unauthorized', 'Please sign in.'), false);
      return;
    }
    authorised(
      identity,
      decision,
      (ref, redirect) => {
        if (redirect !== undefined) sendRedirect(res, withoutQueryToken(redirect));
        else
          forwardRequest(req, res, ref, withoutQueryToken(decision.upstreamPath), identity, asPage);
      },
      (error) => {
        sendError(res, error, asPage);
      },
    );
  }

  function forwardRequest(
    req: IncomingMessage,
    res: ServerResponse,
    ref: ServerRef,
    upstreamPath: string,
    identity: I,
    asPage: boolean,
  ): void {
    const length = declaredLength(req.headers['content-length']);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (length !== undefined && !(length <= options.maxBodyBytes)) {
      // Close the connection: reading a body we refuse only to discard it is a waste.
      sendError(res, bodyTooLarge(options.maxBodyBytes), asPage, { Connection: 'close' });
      return;
    }
    const route = options.route(ref);
    const target = route === undefined ? undefined : resolveTarget(route, ref);
    if (route === undefined || target === undefined) {
      noServer(req, res, ref, identity, asPage);
      return;
    }
    activity.touch(ref);
    forwardHttp(req, res, {
      target,
      path: upstreamPath,
      headers: headersFor(req, route, false),
      body: chunked ? 'chunked' : length !== undefined && length > 0 ? 'length' : 'none',
      maxBodyBytes: options.maxBodyBytes,
      onUnreachable: (error) => {
        if (error.code === 'UND_ERR_INVALID_ARG' || error.code === 'UND_ERR_NOT_SUPPORTED') {
          // undici refused to send the request as given (a header it does not allow): the
          // server is fine, the request is not; say so instead of "not running".
          log?.warn({ ref, err: error }, 'request could not be forwarded as sent');
          sendError(
            res,
            new GanymedeError('bad_request', 'This request could not be forwarded.'),
            asPage,
          );
          return;
        }
        log?.warn({ ref, code: error.code, target: route.target }, 'notebook server unreachable');
        noServer(req, res, ref, identity, asPage);
      },
      onBodyTooLarge: () => {
        sendError(res, bodyTooLarge(options.maxBodyBytes), asPage, { Connection: 'close' });
      },
    });
  }

  function noServer(
    req: IncomingMessage,
    res: ServerResponse,
    ref: ServerRef,
    identity: I,
    asPage: boolean,
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (asPage) options.onNoServer(req, res, ref, identity);
    else sendError(res, notRunning(), false);
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until the pair is piped, a client reset must not become an uncaught 'error'.
    socket.on('error', noop);
    const decision = parseProxyPath(req.url ?? '');
    if (decision.kind !== 'route') {
      refuseUpgrade(socket, decision.kind === 'reject' ? pathError(decision.reason) : notFound());
      return;
    }
    if (closed) {
      refuseUpgrade(socket, unavailable());
      return;
    }
    withIdentity(
      req,
      true,
      (identity) => {
        const refusal = refusalFor(req, true, identity);
        if (refusal !== undefined) {
          refuseUpgrade(socket, refusal);
          return;
        }
        if (identity === undefined) {
          refuseUpgrade(socket, new GanymedeError('unauthorized', 'Please sign in.'));
          return;
        }
        authorised(
          identity,
          decision,
          (ref, redirect) => {
            if (redirect !== undefined) refuseUpgrade(socket, notFound());
            else forwardSocket(req, socket, head, ref, withoutQueryToken(decision.upstreamPath));
          },
          (error) => {
            refuseUpgrade(socket, error);
          },
        );
      },
      (error: unknown) => {
        log?.error({ err: error, url: req.url }, 'authentication failed with an error');
        refuseUpgrade(socket, unavailable());
      },
    );
  }

  function forwardSocket(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    ref: ServerRef,
    upstreamPath: string,
  ): void {
    const route = options.route(ref);
    const target = route === undefined ? undefined : resolveTarget(route, ref);
    if (route === undefined || target === undefined || closed) {
      refuseUpgrade(socket, notRunning());
      return;
    }
    activity.touch(ref);
    forwardUpgrade(req, socket, {
      target,
      path: upstreamPath,
      headers: headersFor(req, route, true),
      head,
      onActivity: () => {
        activity.touch(ref);
      },
      onUnreachable: (error) => {
        log?.warn({ ref, code: error.code, target: route.target }, 'notebook server unreachable');
        refuseUpgrade(socket, notRunning());
      },
      track: (destroy) => {
        liveSockets.add(destroy);
        return () => liveSockets.delete(destroy);
      },
    });
  }

  return {
    handleRequest,
    handleUpgrade,
    close() {
      closed = true;
      for (const destroy of [...liveSockets]) destroy();
      liveSockets.clear();
      return pool.destroy();
    },
  };
}

/** Whether the routed path addresses jupyter_server's REST API (request-policy.ts). */
function apiPathOf(decision: RouteDecision): boolean {
  const prefix = `/user/${decision.upstreamPath.split('/')[2] ?? ''}/`;
  return isApiPath(decision.upstreamPath, prefix.length, decision.named !== undefined);
}

function searchParams(target: string | undefined): URLSearchParams | undefined {
  const queryAt = target?.indexOf('?') ?? -1;
  return queryAt === -1 ? undefined : new URLSearchParams(target?.slice(queryAt + 1));
}

function isEncrypted(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function pathError(reason: PathRejection): GanymedeError {
  if (reason === 'not-user-path' || reason === 'invalid-user') return notFound(reason);
  return new GanymedeError('bad_request', 'This address is not allowed.', { detail: reason });
}

function notFound(detail?: string): GanymedeError {
  return new GanymedeError(
    'not_found',
    'There is no such notebook server.',
    detail === undefined ? {} : { detail },
  );
}

/** One answer whether or not the server exists: nothing about it is revealed. */
function forbiddenServer(): GanymedeError {
  return new GanymedeError(
    'forbidden',
    'You may not use this notebook server: that needs the access:servers scope for it (its owner, an administrator, or a token granted it).',
    { detail: 'access:servers' },
  );
}

function notRunning(): GanymedeError {
  return new GanymedeError(
    'unavailable',
    'This notebook server is not running. Start it from your home page.',
  );
}

function unavailable(): GanymedeError {
  return new GanymedeError(
    'unavailable',
    'The hub cannot serve this request right now. Please try again.',
  );
}

function noop(): void {
  // errors before piping are handled by the close that follows them
}
