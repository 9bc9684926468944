/**
 * Header rewriting between the browser and a notebook server. Works on Node's flat
 * `rawHeaders` arrays (`[name, value, name, value, …]`) so repeated headers (`Set-Cookie`)
 * survive and no per-request header object is built.
 */
import { removeCookie } from './cookies.ts';

export interface RequestHeaderContext {
  /** The notebook server's own token: the only credential upstream ever sees. */
  readonly serverToken: string;
  readonly sessionCookieName: string;
  /** Client address for `X-Forwarded-For`. */
  readonly clientAddress: string | undefined;
  /** `http` or `https`, for `X-Forwarded-Proto`. */
  readonly protocol: string;
  /** Forward `Upgrade` and set `Connection: Upgrade` (WebSocket handshakes). */
  readonly upgrade: boolean;
}

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the non-standard `Keep-Alive` and
 * `Proxy-Connection`): they describe one connection and must not be forwarded.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/**
 * Headers through which some proxies and servers accept a user's identity. A client must
 * never be able to claim one: whatever the notebook server or a later hop trusts, only the
 * token we inject authenticates. `X-Forwarded-*` is rebuilt by us from the connection.
 */
const IDENTITY_EXACT = new Set(['remote-user', 'forwarded', 'x-real-ip', 'x-user', 'x-email']);
const IDENTITY_PREFIXES = ['x-forwarded-', 'x-remote-', 'x-auth-request-', 'x-ganymede-'];

export function isIdentityHeader(lowerName: string): boolean {
  if (IDENTITY_EXACT.has(lowerName)) return true;
  for (const prefix of IDENTITY_PREFIXES) if (lowerName.startsWith(prefix)) return true;
  return false;
}

/** The request headers to send upstream, as a flat array for `http.request`. */
export function upstreamRequestHeaders(
  raw: readonly string[],
  ctx: RequestHeaderContext,
): string[] {
  const connectionListed = listedInConnection(raw);
  const out: string[] = [];
  let host: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (ctx.upgrade && lower === 'upgrade') out.push(name, value);
      continue;
    }
    if (connectionListed?.has(lower) === true) continue;
    if (lower === 'authorization' || isIdentityHeader(lower)) continue;
    // The hub's node:http server has already answered `Expect: 100-continue` itself (it sends
    // the 100 when no 'checkContinue' listener is set); undici refuses to send the header.
    if (lower === 'expect') continue;
    if (lower === 'cookie') {
      const kept = removeCookie(value, ctx.sessionCookieName);
      if (kept !== undefined) out.push(name, kept);
      continue;
    }
    if (lower === 'host') host = value;
    out.push(name, value);
  }
  out.push('Authorization', `token ${ctx.serverToken}`);
  if (ctx.clientAddress !== undefined) out.push('X-Forwarded-For', ctx.clientAddress);
  out.push('X-Forwarded-Proto', ctx.protocol);
  if (host !== undefined) out.push('X-Forwarded-Host', host);
  if (ctx.upgrade) out.push('Connection', 'Upgrade');
  return out;
}

/** The upstream response headers to pass to the browser: everything but hop-by-hop ones. */
export function downstreamResponseHeaders(raw: readonly string[]): string[] {
  const connectionListed = listedInConnection(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || connectionListed?.has(lower) === true) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

/** Header names a `Connection` header declares hop-by-hop (RFC 9110 §7.6.1). */
function listedInConnection(raw: readonly string[]): Set<string> | undefined {
  let listed: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').length !== 10 || (raw[i] ?? '').toLowerCase() !== 'connection') {
      continue;
    }
    for (const token of (raw[i + 1] ?? '').split(',')) {
      const lower = token.trim().toLowerCase();
      // `keep-alive`, `close` and `upgrade` are the common values and are hop-by-hop anyway.
      // `Host` is preserved whatever a client lists: Jupyter's origin checks compare with it.
      if (
        lower === '' ||
        lower === 'keep-alive' ||
        lower === 'close' ||
        lower === 'upgrade' ||
        lower === 'host'
      ) {
        continue;
      }
      (listed ??= new Set()).add(lower);
    }
  }
  return listed;
}
