/**
 * The request an ingress controller is asking about, read from the headers it sends with its
 * sub-request. Two conventions exist and both are read:
 * - nginx `auth_request` as ingress-nginx configures it: `X-Original-URL` (the full URL) and
 *   `X-Original-Method` (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#external-authentication);
 * - Traefik's ForwardAuth: `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Forwarded-Uri`,
 *   `X-Forwarded-Method` (https://doc.traefik.io/traefik/middlewares/http/forwardauth/).
 * `Origin`, `Sec-Fetch-Site`, `Upgrade` and the credentials are the client's own headers,
 * which both controllers copy onto the sub-request. Pure.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface OriginalRequest {
  readonly method: string;
  readonly url: URL;
  readonly origin: string | undefined;
  readonly secFetchSite: string | undefined;
  /** A WebSocket handshake (`Upgrade` copied through, or Fetch Metadata's `websocket` mode). */
  readonly upgrade: boolean;
}

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function readOriginalRequest(headers: IncomingHttpHeaders): OriginalRequest | undefined {
  let url: URL | undefined;
  const original = one(headers, 'x-original-url');
  if (original !== undefined && URL.canParse(original)) {
    url = new URL(original);
  } else {
    const host = one(headers, 'x-forwarded-host');
    const proto = one(headers, 'x-forwarded-proto') ?? 'http';
    const uri = one(headers, 'x-forwarded-uri') ?? '/';
    if (host !== undefined && uri.startsWith('/') && URL.canParse(`${proto}://${host}${uri}`)) {
      url = new URL(`${proto}://${host}${uri}`);
    }
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return undefined;
  }
  const method = (
    one(headers, 'x-original-method') ??
    one(headers, 'x-forwarded-method') ??
    'GET'
  ).toUpperCase();
  return {
    method,
    url,
    origin: one(headers, 'origin'),
    secFetchSite: one(headers, 'sec-fetch-site'),
    upgrade:
      one(headers, 'upgrade')?.toLowerCase() === 'websocket' ||
      one(headers, 'sec-fetch-mode') === 'websocket',
  };
}
