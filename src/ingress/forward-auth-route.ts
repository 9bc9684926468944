/**
 * The hub's forward-auth endpoints for ingress routing mode (config `ingressRouting`):
 *
 * - `GET /hub/auth/forward`: asked by the ingress controller before every request to a
 *   notebook host. 200 admits it and carries, for the controller to copy upstream,
 *   `X-Ganymede-User` (the percent-encoded user name) and `X-Ganymede-Notebook-Authorization`
 *   (`token <the notebook's own token>`, to be sent as `Authorization`); 401 means "sign in"
 *   and carries `X-Ganymede-Sign-In`, the URL to send the browser to; 403 refuses. nginx's
 *   auth_request accepts exactly 2xx/401/403 (https://nginx.org/en/docs/http/ngx_http_auth_request_module.html);
 *   with `?redirect=1` the 401 becomes a 302 to that URL, for controllers that pass the
 *   answer through (Traefik ForwardAuth).
 * - `GET /hub/auth/return?to=<url>`: where sign-in sends the browser back to, so that the
 *   sign-in page's `next=` stays a local path (src/web/safe-next.ts) and only notebook hosts
 *   under `baseDomain` can be the final destination (no open redirect).
 *
 * Every admitted request counts as activity for the culler: on this data path the hub's own
 * proxy never sees the traffic.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route, ServerRef } from '../backends/types.ts';
import { hasGroupFilter } from '../api/scopes.ts';
import type { Logger } from '../logging/logger.ts';
import type { Identity } from '../proxy/types.ts';
import { cookieValues, sentXsrf, XSRF_COOKIE } from '../security/xsrf.ts';
import type { IngressRoutingConfig } from './config.ts';
import { decideForwardAuth } from './decide.ts';
import type { LookupIdentity } from './find-server.ts';
import { labelOfHost } from './notebook-host.ts';
import { readOriginalRequest } from './original-request.ts';

export const FORWARD_AUTH_PATH = '/hub/auth/forward';
export const RETURN_PATH = '/hub/auth/return';

export interface ForwardAuthOptions {
  readonly config: IngressRoutingConfig;
  /** The hub's public URL (`https://hub.example.org`), where browsers sign in. */
  readonly hubPublicUrl: string;
  /** An API token in the `Authorization` header, else the hub session cookie. */
  authenticate(req: IncomingMessage): Promise<(LookupIdentity & Identity) | undefined>;
  /** A user's groups, asked only for credentials holding `access:servers!group=…`. */
  groupsOf?(user: string): Promise<readonly string[]>;
  findServer(label: string, identity: LookupIdentity): Promise<ServerRef | undefined>;
  route(ref: ServerRef): Route | undefined;
  recordActivity(ref: ServerRef): void;
  readonly log: Logger;
}

/** Handles the request and returns true when its path is one of the two above. */
export function createForwardAuthRoutes(
  options: ForwardAuthOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { config, log } = options;
  const hub = options.hubPublicUrl.replace(/\/+$/, '');

  function signInUrl(original: URL): string {
    const back = `${RETURN_PATH}?to=${encodeURIComponent(original.href)}`;
    return `${hub}/hub/login?next=${encodeURIComponent(back)}`;
  }

  function send(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'cache-control': 'no-store', 'content-length': '0', ...headers });
    res.end();
  }

  async function forward(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const request = readOriginalRequest(req.headers);
    const label = request && labelOfHost(request.url.host, config.baseDomain);
    const identity = await options.authenticate(req);
    const server =
      identity && label !== undefined ? await options.findServer(label, identity) : undefined;
    const ownerGroups =
      identity && server && options.groupsOf && hasGroupFilter(identity.scopes, 'access:servers')
        ? await options.groupsOf(server.user)
        : undefined;
    const decision = decideForwardAuth({
      request,
      label,
      identity,
      server,
      ...(ownerGroups ? { ownerGroups } : {}),
      xsrf: {
        sent: sentXsrf((name) => headerValue(req.headers[name]), request?.url.searchParams),
        cookies: cookieValues(req.headers.cookie, XSRF_COOKIE),
      },
    });
    switch (decision.kind) {
      case 'allow': {
        options.recordActivity(decision.ref);
        const route = options.route(decision.ref);
        send(res, 200, {
          'x-ganymede-user': encodeURIComponent(decision.identity.user),
          // Absent while the server is not running: the upstream then has no endpoints and
          // the controller answers 503 itself.
          ...(route ? { 'x-ganymede-notebook-authorization': `token ${route.token}` } : {}),
        });
        return;
      }
      case 'unauthenticated': {
        // request is defined here: decideForwardAuth checked it first.
        const location = signInUrl(request?.url ?? new URL(hub));
        if (url.searchParams.get('redirect') === '1') send(res, 302, { location });
        else send(res, 401, { 'x-ganymede-sign-in': location });
        return;
      }
      case 'forbidden':
        log.info(
          { user: identity?.user, host: request?.url.host, reason: decision.reason },
          'ingress forward-auth refused',
        );
        send(res, 403);
        return;
      case 'bad-request':
        // nginx turns anything but 2xx/401/403 into a 500 for the client; the reason is for
        // whoever configures the controller.
        log.warn({ reason: decision.reason }, 'ingress forward-auth: unusable sub-request');
        send(res, 400);
        return;
    }
  }

  function back(res: ServerResponse, url: URL): void {
    const to = url.searchParams.get('to') ?? '';
    const target = URL.canParse(to) ? new URL(to) : undefined;
    const acceptable =
      target?.protocol === `${config.scheme}:` &&
      target.username === '' &&
      target.password === '' &&
      labelOfHost(target.host, config.baseDomain) !== undefined;
    send(res, 302, { location: acceptable ? target.href : '/hub/home' });
  }

  return (req, res) => {
    const path = req.url?.split('?')[0];
    if (path !== FORWARD_AUTH_PATH && path !== RETURN_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { allow: 'GET, HEAD' });
      return true;
    }
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    if (path === RETURN_PATH) {
      back(res, url);
      return true;
    }
    forward(req, res, url).catch((e: unknown) => {
      log.error({ err: e }, 'ingress forward-auth failed');
      if (!res.headersSent) send(res, 503);
      else res.destroy();
    });
    return true;
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
