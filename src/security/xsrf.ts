/**
 * Double-submit XSRF tokens, as JupyterHub and jupyter_server (through tornado) use them: the
 * server sets an `_xsrf` cookie that page scripts can read, and a state-changing request
 * proves it came from a page of ours by sending the same value back in the `_xsrf` argument
 * (form field or query) or the `X-XSRFToken` (or `X-CSRFToken`) header. Another site can make
 * a browser send our cookie but can neither read it nor set that header.
 *
 * - The hub's token (cookie path `/hub/`, like JupyterHub's `hub.base_url`): for a signed-in
 *   session, the per-session value its forms have always carried (`AuthService.xsrfToken`,
 *   derived from the session, so it cannot be guessed and needs no server-side state); for an
 *   anonymous visitor (the sign-in form), a random value, kept an hour, as JupyterHub does.
 *   JupyterHub signs its tokens with its cookie secret; ours need no signature: a session's is
 *   checked against the session itself, and an anonymous one only guards the sign-in form.
 * - A notebook server's token is Jupyter's own (tornado's format: `2|mask|masked|timestamp`,
 *   or a bare v1 value) and is compared as tornado compares it, unmasked, so a freshly masked
 *   copy of the cookie's token matches too.
 *
 * Pure apart from `newAnonymousXsrf` (randomness).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { XsrfStatus } from './cross-site.ts';

export const XSRF_COOKIE = '_xsrf';
/** JupyterHub's and tornado's header names, tried in this order. */
export const XSRF_HEADERS = ['x-xsrftoken', 'x-csrftoken'] as const;
export const XSRF_FIELD = '_xsrf';
/** How long an anonymous visitor's token lives (JupyterHub: one hour). */
export const ANONYMOUS_XSRF_SECONDS = 3600;

/** Every value of the cookie `name` in a Cookie header (one per path that set it), unquoted. */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    if (value !== '') out.push(value);
  }
  return out;
}

/** The token a request sends outside its body: `X-XSRFToken`, `X-CSRFToken`, `?_xsrf=`. */
export function sentXsrf(
  header: (name: string) => string | undefined,
  query: URLSearchParams | undefined,
): string | undefined {
  for (const name of XSRF_HEADERS) {
    const value = header(name);
    if (value) return value;
  }
  const value = query?.get(XSRF_FIELD);
  return value === null || value === '' ? undefined : value;
}

/** A new anonymous hub token: 32 random bytes, base64url (43 characters). */
export function newAnonymousXsrf(): string {
  return randomBytes(32).toString('base64url');
}

const ANONYMOUS_FORM = /^[A-Za-z0-9_-]{43}$/;

/** Whether a cookie value is one of our anonymous tokens (anything else is not ours). */
export function isAnonymousXsrf(value: string): boolean {
  return ANONYMOUS_FORM.test(value);
}

export interface HubXsrfInput {
  /** The token sent (header, query or form field). */
  readonly sent: string | undefined;
  /** The `_xsrf` cookie values the request carries. */
  readonly cookies: readonly string[];
  /** The signed-in session's token; undefined for an anonymous visitor. */
  readonly sessionToken: string | undefined;
}

/** The hub's check: a session's own token, or an anonymous visitor's cookie sent back. */
export function hubXsrfStatus(input: HubXsrfInput): XsrfStatus {
  if (!input.sent) return 'missing';
  if (input.sessionToken !== undefined) {
    return same(input.sent, input.sessionToken) ? 'valid' : 'mismatch';
  }
  const ours = input.cookies.filter(isAnonymousXsrf);
  if (ours.length === 0) return 'no-cookie';
  return ours.some((c) => same(c, input.sent ?? '')) ? 'valid' : 'mismatch';
}

/** jupyter_server's check (tornado's `check_xsrf_cookie`) on the notebook server's cookie. */
export function jupyterXsrfStatus(
  sent: string | undefined,
  cookies: readonly string[],
): XsrfStatus {
  if (!sent) return 'missing';
  const token = decodeTornadoXsrf(sent);
  if (cookies.length === 0) return 'no-cookie';
  if (token === undefined || token.length === 0) return 'mismatch';
  for (const cookie of cookies) {
    const expected = decodeTornadoXsrf(cookie);
    if (expected?.length === token.length && timingSafeEqual(expected, token)) {
      return 'valid';
    }
  }
  return 'mismatch';
}

/**
 * The raw token inside a tornado XSRF value: version 2 is `2|<mask hex>|<masked token
 * hex>|<timestamp>` (the token XORed with the mask, so every page gets a different-looking
 * copy); version 1 is the token's hex, or the bare value. Undefined for an unknown version.
 */
export function decodeTornadoXsrf(value: string): Buffer | undefined {
  const versioned = /^([1-9][0-9]*)\|/.exec(value);
  if (versioned) {
    if (versioned[1] !== '2') return undefined;
    const parts = value.split('|');
    const [, maskHex = '', maskedHex = '', stamp = ''] = parts;
    if (parts.length !== 4 || !isHex(maskHex) || !isHex(maskedHex) || !/^\d+$/.test(stamp)) {
      return undefined;
    }
    const mask = Buffer.from(maskHex, 'hex');
    const masked = Buffer.from(maskedHex, 'hex');
    if (mask.length === 0) return undefined;
    return Buffer.from(masked.map((byte, i) => byte ^ (mask[i % mask.length] ?? 0)));
  }
  return isHex(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'utf8');
}

function isHex(text: string): boolean {
  return text.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(text);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
