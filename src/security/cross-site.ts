/**
 * THE cross-site rule, for every surface of the hub: its forms, its REST API, the proxy under
 * `/user/…` and forward-auth (ingress routing mode). Written down in docs/security.md; this is
 * its only implementation. Pure: the callers read the headers and the credentials, and check
 * the XSRF token of the application addressed (src/security/xsrf.ts), then ask here.
 *
 * For a state-changing request or a WebSocket handshake, in this order:
 *
 * 1. `Sec-Fetch-Site: cross-site` or `same-site` → refused, whatever else it carries: another
 *    site (or a sibling subdomain, which may serve someone else's content) started it.
 * 2. An `Origin` that is not ours → refused (`null` included: sandboxed frames).
 * 3. Authenticated by an API token (header, or `?token=` where taken) → accepted: a browser
 *    never attaches a token by itself, so the token alone is judged, even when a session
 *    cookie rides along. No Origin or XSRF demand.
 * 4. No credentials at all → accepted here; authentication answers it next (401/403).
 * 5. A WebSocket handshake with the cookie → accepted: browsers always send `Origin` on a
 *    handshake (RFC 6455 §4.1), so one that reaches this step either named us or came from a
 *    program, which cannot be forged from a page (JupyterHub and jupyter_server agree: no XSRF
 *    check on WebSockets, and a handshake without `Origin` is let through).
 * 6. An HTTP request with the cookie → accepted with a valid double-submit XSRF token of the
 *    application addressed; where `originSuffices`, our own `Origin` is accepted instead.
 *    Otherwise refused, saying which part was missing or wrong.
 */

export type Credential = 'token' | 'session' | 'none';

/** The caller's verdict on the request's XSRF token (src/security/xsrf.ts). */
export type XsrfStatus = 'valid' | 'missing' | 'no-cookie' | 'mismatch';

export type CrossSiteRefusal =
  'cross-site-fetch' | 'foreign-origin' | 'xsrf-missing' | 'xsrf-no-cookie' | 'xsrf-mismatch';

export interface CrossSiteInput {
  readonly method: string | undefined;
  /** A WebSocket handshake (always judged, although its method is GET). */
  readonly upgrade: boolean;
  /** The `Origin` request header (RFC 6454 §7), if any. */
  readonly origin: string | undefined;
  /** The `Sec-Fetch-Site` request header (Fetch Metadata), if any. */
  readonly secFetchSite: string | undefined;
  /** Our own origin, normalised (`https://hub.example.org`); undefined when unknown. */
  readonly ownOrigin: string | undefined;
  /** What authenticated the request. */
  readonly credential: Credential;
  /** Asked only for cookie-authenticated HTTP requests. */
  readonly xsrf: () => XsrfStatus;
  /**
   * Whether our own `Origin` stands in for the XSRF token. True where the token cannot always
   * be seen (the proxy streams bodies, so Jupyter's `_xsrf` form field is out of its sight) and
   * for the anonymous sign-in form; false for a signed-in session on the hub's own forms and
   * API, which always carry the hub's token (as JupyterHub demands).
   */
  readonly originSuffices: boolean;
}

/**
 * Methods that may change state (RFC 9110 §9.2.1 lists GET, HEAD, OPTIONS and TRACE as safe;
 * TRACE is treated as state-changing, because it only ever helps attackers).
 */
export function isStateChanging(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

/** Undefined when the request passes; otherwise which part of the rule refused it. */
export function judgeCrossSite(input: CrossSiteInput): CrossSiteRefusal | undefined {
  if (!input.upgrade && !isStateChanging(input.method)) return undefined;
  const site = input.secFetchSite;
  if (site === 'cross-site' || site === 'same-site') return 'cross-site-fetch';
  const origin = input.origin;
  const ownOriginSent = origin !== undefined && isOwnOrigin(origin, input.ownOrigin);
  if (origin !== undefined && !ownOriginSent) return 'foreign-origin';
  if (input.credential !== 'session' || input.upgrade) return undefined;
  if (ownOriginSent && input.originSuffices) return undefined;
  const xsrf = input.xsrf();
  if (xsrf === 'valid') return undefined;
  return xsrf === 'missing'
    ? 'xsrf-missing'
    : xsrf === 'no-cookie'
      ? 'xsrf-no-cookie'
      : 'xsrf-mismatch';
}

function isOwnOrigin(origin: string, own: string | undefined): boolean {
  if (own === undefined) return false;
  return origin === own || normaliseOrigin(origin) === own;
}

/** Which token a refusal's message names: the hub's or the notebook server's own. */
export type XsrfOwner = 'hub' | 'notebook';

/** The sentence a refusal answers with: which part of the rule was missing or wrong. */
export function crossSiteMessage(refusal: CrossSiteRefusal, owner: XsrfOwner): string {
  const cookie =
    owner === 'hub'
      ? 'the hub’s _xsrf cookie (set by every hub page, GET /hub/login included)'
      : 'the _xsrf cookie the notebook server set for its path';
  const noCookie =
    owner === 'hub'
      ? 'the request carries no hub _xsrf cookie (every hub page sets one, GET /hub/login included)'
      : 'the request carries no _xsrf cookie from the notebook server';
  switch (refusal) {
    case 'cross-site-fetch':
      return 'Refused: the browser says another site started this request (Sec-Fetch-Site).';
    case 'foreign-origin':
      return 'Refused: this request’s Origin header names another site.';
    case 'xsrf-missing':
      return `Refused: a request signed in with a cookie must send an Origin header or an XSRF token: the value of ${cookie} in the X-XSRFToken header${owner === 'hub' ? ' or the _xsrf form field' : ''}. Reload the page and try again.`;
    case 'xsrf-no-cookie':
      return `Refused: the XSRF token sent has nothing to match: ${noCookie}. Reload the page and try again.`;
    case 'xsrf-mismatch':
      return `Refused: the XSRF token sent does not match ${cookie}. Reload the page and try again.`;
  }
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
