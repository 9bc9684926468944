/**
 * The authenticating proxy for `/user/<name>/…`, HTTP and WebSocket. For each request, in
 * this order (each step a pure decision from a sibling module, the I/O here):
 *
 * 1. routing: parse the path, refuse anything that could decode into another route;
 * 2. cross-site check for state-changing methods and every WebSocket upgrade (403);
 * 3. authentication (hub session or API token) and authorisation (owner or admin);
 * 4. body size, by `Content-Length` at once or counted while streaming (413);
 * 5. the route: a stopped server gets the hub's "start your server" page (or 503 JSON);
 * 6. activity (throttled) and forwarding, with the server's token injected and the hub
 *    session cookie and any client-supplied identity headers removed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Route, ServerRef } from '../backends/types.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { createActivityThrottle } from './activity-throttle.ts';
import { bodyTooLarge, declaredLength } from './body-limit.ts';
import { forwardHttp } from './forward-http.ts';
import { forwardUpgrade } from './forward-upgrade.ts';
import { parseProxyPath, type PathRejection, type ProxyPathDecision } from './parse-path.ts';
import {
  crossSiteRejection,
  decideAccess,
  hubOriginOf,
  isStateChanging,
  wantsPage,
} from './request-policy.ts';
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
  const sessionCookiePrefix = `${options.sessionCookieName}=`;
  let closed = false;

  function hasSessionCookie(req: IncomingMessage): boolean {
    return req.headers.cookie?.includes(sessionCookiePrefix) ?? false;
  }

  /** Runs `next` with the identity, synchronously when `authenticate` answered synchronously. */
  function withIdentity(
    req: IncomingMessage,
    next: (identity: I | undefined) => void,
    fail: (error: unknown) => void,
  ): void {
    let result: ReturnType<ProxyOptions<I>['authenticate']>;
    try {
      result = options.authenticate(req);
    } catch (error) {
      fail(error);
      return;
    }
    if (result instanceof Promise) result.then(next, fail);
    else next(result);
  }

  function refusalFor(req: IncomingMessage, upgrade: boolean): GanymedeError | undefined {
    if (!upgrade && !isStateChanging(req.method)) return undefined;
    const hubOrigin = hubOriginOf(options.publicOrigin, req.headers.host, isEncrypted(req));
    const rejection =
      hubOrigin === undefined
        ? 'foreign-origin'
        : crossSiteRejection({
            origin: req.headers.origin,
            secFetchSite: headerValue(req.headers['sec-fetch-site']),
            hubOrigin,
            hasSessionCookie: hasSessionCookie(req),
          });
    if (rejection === undefined) return undefined;
    log?.info(
      { url: req.url, origin: req.headers.origin, rejection },
      'refused a cross-site request',
    );
    return new GanymedeError(
      'forbidden',
      'This request came from another site, so it was refused to protect your notebook.',
      { detail: rejection },
    );
  }

  /**
   * Which of the user's servers a routed path is for: its named candidate when that server
   * runs (no lookup) or the hub says the user has it, else the default server. `redirect` is
   * set for `/user/<name>/<server>` without its trailing slash.
   */
  function withServer(
    decision: RouteDecision,
    next: (ref: ServerRef, redirect?: string) => void,
    fail: (error: unknown) => void,
  ): void {
    const named = decision.named;
    if (named === undefined) {
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
      sendRedirect(res, decision.location);
      return;
    }
    const asPage = wantsPage(
      req.method,
      req.headers.accept,
      headerValue(req.headers['x-requested-with']),
      headerValue(req.headers['sec-fetch-mode']),
    );
    const refusal = closed ? unavailable() : refusalFor(req, false);
    if (refusal !== undefined) {
      sendError(res, refusal, asPage);
      return;
    }
    withIdentity(
      req,
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
    // Access depends on the user only, so it is decided before asking which server: nobody
    // learns whether someone else has a server of some name.
    const access = decideAccess(identity, decision.ref);
    if (identity === undefined || access === 'unauthenticated') {
      if (asPage) options.onUnauthenticated(req, res);
      else sendError(res, new GanymedeError('unauthorized', 'Please sign in.'), false);
      return;
    }
    if (access === 'forbidden') {
      sendError(res, forbiddenServer(), asPage);
      return;
    }
    withServer(
      decision,
      (ref, redirect) => {
        if (redirect !== undefined) sendRedirect(res, redirect);
        else forwardRequest(req, res, ref, decision.upstreamPath, identity, asPage);
      },
      (error: unknown) => {
        log?.error({ err: error, url: req.url }, 'looking up a named server failed');
        sendError(res, unavailable(), asPage);
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
    const refusal = closed ? unavailable() : refusalFor(req, true);
    if (refusal !== undefined) {
      refuseUpgrade(socket, refusal);
      return;
    }
    withIdentity(
      req,
      (identity) => {
        const access = decideAccess(identity, decision.ref);
        if (access !== 'allow') {
          refuseUpgrade(
            socket,
            access === 'forbidden'
              ? forbiddenServer()
              : new GanymedeError('unauthorized', 'Please sign in.'),
          );
          return;
        }
        withServer(
          decision,
          (ref, redirect) => {
            if (redirect !== undefined) refuseUpgrade(socket, notFound());
            else forwardSocket(req, socket, head, ref, decision.upstreamPath);
          },
          (error: unknown) => {
            log?.error({ err: error, url: req.url }, 'looking up a named server failed');
            refuseUpgrade(socket, unavailable());
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

function forbiddenServer(): GanymedeError {
  return new GanymedeError('forbidden', 'This notebook server belongs to someone else.');
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
