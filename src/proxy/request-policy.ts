/**
 * Pure decisions the proxy takes about a request before anything is forwarded: who may use
 * a server, which requests count as cross-site, and whether to answer a browser or a script.
 */
import type { ServerRef } from '../backends/types.ts';
import type { Identity } from './types.ts';

export type Access = 'allow' | 'unauthenticated' | 'forbidden';

/** The owner or an admin; nobody else (shares come later and will widen this one place). */
export function decideAccess(identity: Identity | undefined, ref: ServerRef): Access {
  if (identity === undefined) return 'unauthenticated';
  return identity.user === ref.user || identity.admin ? 'allow' : 'forbidden';
}

/**
 * Methods that may change state (RFC 9110 §9.2.1 lists GET, HEAD, OPTIONS and TRACE as safe;
 * TRACE is refused anyway, as a state-changing one, because it only ever helps attackers).
 */
export function isStateChanging(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

export type CrossSiteRejection = 'foreign-origin' | 'missing-origin' | 'cross-site-fetch';

export interface CrossSiteInput {
  /** The `Origin` request header (RFC 6454 §7), if any. */
  readonly origin: string | undefined;
  /** The `Sec-Fetch-Site` request header (Fetch Metadata), if any. */
  readonly secFetchSite: string | undefined;
  /** The hub's own origin, normalised (`https://hub.example.org`). */
  readonly hubOrigin: string;
  /** Whether the request carries the hub session cookie, i.e. it comes from a browser. */
  readonly hasSessionCookie: boolean;
}

/**
 * Whether a state-changing request or a WebSocket upgrade must be refused as cross-site.
 *
 * - `Sec-Fetch-Site: cross-site` or `same-site` is refused outright: another site, or a
 *   sibling subdomain (which may be some other user's content), started the request.
 * - An `Origin` that is not the hub's own is refused (`null` included: sandboxed frames and
 *   opaque origins).
 * - A missing `Origin` is accepted only without the session cookie. Browsers send `Origin`
 *   on every WebSocket handshake (RFC 6455 §4.1) and on every non-GET/HEAD request (Fetch
 *   standard, "append a request `Origin` header"), so a cookie-bearing request without one is
 *   not from a browser we can trust; a script holding an API token sends no cookie and no
 *   `Origin`, and cannot be the victim of cross-site request forgery.
 */
export function crossSiteRejection(input: CrossSiteInput): CrossSiteRejection | undefined {
  const site = input.secFetchSite;
  if (site === 'cross-site' || site === 'same-site') return 'cross-site-fetch';
  const origin = input.origin;
  if (origin === undefined) return input.hasSessionCookie ? 'missing-origin' : undefined;
  if (origin === input.hubOrigin) return undefined;
  return normaliseOrigin(origin) === input.hubOrigin ? undefined : 'foreign-origin';
}

/**
 * `scheme://host[:port]` with the scheme and host lower-cased and a default port dropped
 * (RFC 6454 §4 serialisation), or undefined for anything that is not an http(s) origin.
 */
export function normaliseOrigin(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin;
}

/**
 * The hub's origin: the configured public one, or the one the client addressed (`Host`)
 * with the protocol of the connection it arrived on. Behind a TLS-terminating ingress the
 * connection is plain HTTP, so deployments there must configure `publicOrigin`.
 */
export function hubOriginOf(
  publicOrigin: string | undefined,
  host: string | undefined,
  encrypted: boolean,
): string | undefined {
  if (publicOrigin !== undefined) return publicOrigin;
  if (host === undefined || host === '') return undefined;
  return normaliseOrigin(`${encrypted ? 'https' : 'http'}://${host}`);
}

/**
 * Whether to answer with a page (a browser navigating) rather than JSON (a script, an XHR
 * or `fetch` from JupyterLab). Pages only for GET/HEAD that accept HTML and are not marked
 * as XHR; `Sec-Fetch-Mode`, when present, must be `navigate`.
 */
export function wantsPage(
  method: string | undefined,
  accept: string | undefined,
  requestedWith: string | undefined,
  fetchMode: string | undefined,
): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (requestedWith !== undefined) return false;
  if (fetchMode !== undefined && fetchMode !== 'navigate') return false;
  return accept?.includes('text/html') ?? false;
}
