/**
 * Pure decisions the proxy takes about a request before anything is forwarded: whether it is a
 * page view or an API/WebSocket call, where its credentials may come from, and what its URL
 * looks like once a query token is taken out of it. The cross-site rule is
 * src/security/cross-site.ts; the access rule is `mayAccessServer` in src/api/scopes.ts.
 *
 * **Page or API** (the rule in docs/security.md, as JupyterHub and jupyter_server draw it):
 * a WebSocket handshake is API; so is any path under the server's `api/` (jupyter_server's
 * REST API) and any method but GET/HEAD. A GET/HEAD is a page view when the browser says it
 * navigates (`Sec-Fetch-Mode: navigate`) or, without Fetch Metadata, when it accepts
 * `text/html` and is not marked as XHR (`X-Requested-With`). Everything else is API.
 *
 * **Where a token is taken**: `Authorization: token …` / `Bearer …` always; `?token=` only on
 * API and WebSocket requests (programs cannot set headers on a WebSocket). A page view with
 * `?token=` is not signed in by it (JupyterHub 5's default): a link must not carry a login.
 * The query token never goes further: it is removed from the URL before proxying and from any
 * `next=` the sign-in redirect carries, and logs see the URL with it redacted.
 */

export const TOKEN_PARAM = 'token';

export interface RequestKindInput {
  readonly method: string | undefined;
  readonly upgrade: boolean;
  /** The path after the server's base URL starts with `api/` (see `isApiPath`). */
  readonly apiPath: boolean;
  readonly accept: string | undefined;
  readonly requestedWith: string | undefined;
  readonly fetchMode: string | undefined;
}

/** Whether to treat the request as a browser's page view (else an API or WebSocket call). */
export function isPageView(input: RequestKindInput): boolean {
  if (input.upgrade || input.apiPath) return false;
  if (input.method !== 'GET' && input.method !== 'HEAD') return false;
  if (input.fetchMode !== undefined) return input.fetchMode === 'navigate';
  if (input.requestedWith !== undefined) return false;
  return input.accept?.includes('text/html') ?? false;
}

/**
 * Whether the path (after `/user/<name>/`, i.e. `rest`) addresses jupyter_server's REST API:
 * `api/…` of the default server, or `<server>/api/…` when the first segment may name a
 * server of the user's (`namedCandidate`).
 */
export function isApiPath(upstreamPath: string, userPrefixLength: number, named: boolean): boolean {
  const queryAt = upstreamPath.indexOf('?');
  const path = queryAt === -1 ? upstreamPath : upstreamPath.slice(0, queryAt);
  const segments = path.slice(userPrefixLength).split('/');
  if (segments[0] === 'api') return true;
  return named && segments[1] === 'api';
}

/** The value of `?token=` in a request target, if any. */
export function queryToken(target: string): string | undefined {
  const queryAt = target.indexOf('?');
  if (queryAt === -1) return undefined;
  const value = new URLSearchParams(target.slice(queryAt + 1)).get(TOKEN_PARAM);
  return value === null || value === '' ? undefined : value;
}

/**
 * The request target without any `token` query parameter, every other byte of it untouched
 * (the path keeps its encoding, other parameters their order and spelling).
 */
export function withoutQueryToken(target: string): string {
  const queryAt = target.indexOf('?');
  if (queryAt === -1) return target;
  const kept = target
    .slice(queryAt + 1)
    .split('&')
    .filter((part) => {
      const name = part.split('=', 1)[0] ?? '';
      return decodeName(name) !== TOKEN_PARAM;
    });
  const path = target.slice(0, queryAt);
  return kept.length === 0 ? path : `${path}?${kept.join('&')}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}
