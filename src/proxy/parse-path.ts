/**
 * The proxy's routing decision: which notebook server a raw request target belongs to.
 * Pure; the proxy calls it once per request and WebSocket upgrade.
 *
 * Guarantee: an accepted path can never reach another route after any later decoding or
 * normalisation, by us, by Jupyter (Tornado) or by anything in between. So we refuse, instead
 * of normalising, everything that decodes or normalises into a different path:
 *
 * - `%2F` (an encoded `/`: `/user/alice%2F..%2Fbob/`) and `%5C` or a raw `\` (which some
 *   servers and the WHATWG URL parser treat as `/`);
 * - dot segments (`.`, `..`), also encoded (`%2e`, `.%2E`, …): RFC 3986 §5.2.4 removes them;
 * - empty segments (`//`): some servers collapse them, so `/user/alice//x` is ambiguous;
 * - double encoding (`%25` followed by two hex digits decodes into a new `%XX`); a `%25` not
 *   followed by hex is an ordinary encoded `%` (a file called `100%.txt`) and passes;
 * - NUL, raw or encoded, and raw control characters;
 * - malformed percent-encoding (`%zz`, a lone `%`, invalid UTF-8).
 *
 * The user segment must decode to an already-normalised, valid user name
 * (src/names/user-names.ts), so `/user/Alice/` never shadows `/user/alice/`. The upstream path
 * is the request target with the user segment re-encoded canonically (`encodeURIComponent`,
 * upper-case hex), because Jupyter serves under exactly that `base_url` and Tornado matches
 * routes against the still-encoded path. The query string is passed through untouched.
 *
 * Named servers (`/user/<name>/<server>/…`): when the segment after the user is written
 * exactly as a valid server name (src/servers/server-names.ts: plain `[a-z0-9-]`, never one
 * of Jupyter's own top-level paths), the decision names it as `named`. Whether the user HAS
 * that server is not a path question: the proxy asks the hub, and otherwise the request goes
 * to the default server as before. The upstream path is the same either way, since a named
 * server's base URL is `/user/<name>/<server>/`.
 */
import type { ServerRef } from '../backends/types.ts';
import { MAX_USER_NAME_LENGTH, parseUserName, userPathSegment } from '../names/user-names.ts';
import { isServerName } from '../servers/server-names.ts';

export type PathRejection =
  | 'not-user-path'
  | 'invalid-user'
  | 'malformed-encoding'
  | 'encoded-slash'
  | 'backslash'
  | 'dot-segment'
  | 'empty-segment'
  | 'double-encoding'
  | 'nul'
  | 'control-character';

/** The segment after the user, when it could name one of their named servers. */
export interface NamedCandidate {
  readonly server: string;
  /** `/user/alice/gpu` without the trailing slash: if it is a server, redirect here. */
  readonly redirect?: string;
}

export type ProxyPathDecision =
  | {
      readonly kind: 'route';
      /** The default server's ref. */
      readonly ref: ServerRef;
      readonly upstreamPath: string;
      readonly named?: NamedCandidate;
    }
  /** `/user/alice` without the trailing slash: send the browser to `/user/alice/`. */
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'reject'; readonly reason: PathRejection };

const PREFIX = '/user/';

export function parseProxyPath(rawUrl: string): ProxyPathDecision {
  if (!rawUrl.startsWith(PREFIX)) return reject('not-user-path');
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = queryAt === -1 ? '' : rawUrl.slice(queryAt);

  const problem = scanPath(path);
  if (problem !== undefined) return reject(problem);

  const userEnd = path.indexOf('/', PREFIX.length);
  const segment = path.slice(PREFIX.length, userEnd === -1 ? undefined : userEnd);
  const user = decodeUser(segment);
  if (user === undefined) return reject('invalid-user');
  const canonical = PREFIX + userPathSegment(user);
  if (userEnd === -1) return { kind: 'redirect', location: `${canonical}/${query}` };
  const rest = path.slice(userEnd);
  const upstreamPath = segment === userPathSegment(user) ? rawUrl : canonical + rest + query;
  const named = namedCandidate(canonical, rest, query);
  return {
    kind: 'route',
    ref: { user, server: '' },
    upstreamPath,
    ...(named === undefined ? {} : { named }),
  };
}

/** `rest` is the path after the user segment, starting with `/`. */
function namedCandidate(canonical: string, rest: string, query: string) {
  const end = rest.indexOf('/', 1);
  const server = rest.slice(1, end === -1 ? undefined : end);
  if (!isServerName(server)) return undefined;
  return end === -1 ? { server, redirect: `${canonical}/${server}/${query}` } : { server };
}

function reject(reason: PathRejection): ProxyPathDecision {
  return { kind: 'reject', reason };
}

/** One pass over the path (without query); returns the first problem found. */
function scanPath(path: string): PathRejection | undefined {
  let segmentStart = 1; // path[0] is the leading '/'
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      if (i === segmentStart) {
        // An empty segment is only allowed as the trailing one (`/user/alice/lab/`).
        if (i < path.length) return 'empty-segment';
      } else if (isDotSegment(path, segmentStart, i)) {
        return 'dot-segment';
      }
      segmentStart = i + 1;
    } else if (c === PERCENT) {
      const byte = hexByte(path, i + 1);
      if (byte === -1) return 'malformed-encoding';
      if (byte === SLASH) return 'encoded-slash';
      if (byte === BACKSLASH) return 'backslash';
      if (byte === 0) return 'nul';
      if (byte === PERCENT && hexByte(path, i + 3) !== -1) return 'double-encoding';
      i += 2;
    } else if (c === BACKSLASH) {
      return 'backslash';
    } else if (c === 0) {
      return 'nul';
    } else if (c < 0x20 || c === 0x7f) {
      return 'control-character';
    }
  }
  return undefined;
}

/** `.` or `..`, where each dot may be written `%2e` / `%2E`. */
function isDotSegment(path: string, start: number, end: number): boolean {
  let dots = 0;
  for (let i = start; i < end;) {
    if (path.charCodeAt(i) === DOT) {
      i += 1;
    } else if (path.charCodeAt(i) === PERCENT && hexByte(path, i + 1) === DOT) {
      i += 3;
    } else {
      return false;
    }
    dots += 1;
    if (dots > 2) return false;
  }
  return dots > 0;
}

/** The byte written as two hex digits at `at`, or -1 if there are none. */
function hexByte(path: string, at: number): number {
  if (at + 1 >= path.length) return -1;
  const high = hexValue(path.charCodeAt(at));
  const low = hexValue(path.charCodeAt(at + 1));
  return high === -1 || low === -1 ? -1 : high * 16 + low;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** The decoded user name if the segment is a valid, already-normalised one. */
function decodeUser(segment: string): string | undefined {
  // Each code point of a valid name is at most 4 UTF-8 bytes, 12 characters encoded.
  if (segment.length > MAX_USER_NAME_LENGTH * 12) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  try {
    return parseUserName(decoded) === decoded ? decoded : undefined;
  } catch {
    return undefined;
  }
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;
const DOT = 0x2e;
