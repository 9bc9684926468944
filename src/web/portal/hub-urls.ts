/**
 * JupyterHub's own URLs, as pure decisions (the routes are in jupyterhub-routes.ts). Links
 * written for JupyterHub — course pages, nbgitpuller links, JupyterHub's documentation — use
 * these, so they follow JupyterHub 5's handlers (jupyterhub/handlers/pages.py and base.py):
 *
 * - `/hub/user-redirect/<path>?<q>` → `/hub/spawn/<me>?next=/user/<me>/<path>?<q>`;
 * - `/hub/spawn/<user>[/<server>]`: running → `next` (else the server); starting → the pending
 *   page; stopped → start it when there is nothing to choose, else show the choice;
 * - `/hub/spawn-pending/<user>[/<server>]` follows the start and then goes to `next`.
 *
 * Every `next` still passes `safeNext` (same site, under /hub/ or /user/) where it is followed.
 */
import type { ServerPhase } from '../../backends/types.ts';
import { userPathSegment } from '../../names/user-names.ts';

/** `/hub/spawn/<user>` or `/hub/spawn/<user>/<server>`, with `?next=` when given. */
export function spawnUrl(user: string, server: string, next?: string): string {
  return withNext(`/hub/spawn/${refPath(user, server)}`, next);
}

/** `/hub/spawn-pending/<user>[/<server>]`, with `?next=` when given. */
export function spawnPendingUrl(user: string, server: string, next?: string): string {
  return withNext(`/hub/spawn-pending/${refPath(user, server)}`, next);
}

function refPath(user: string, server: string): string {
  const u = userPathSegment(user);
  return server === '' ? u : `${u}/${encodeURIComponent(server)}`;
}

export function withNext(url: string, next: string | undefined): string {
  return next === undefined || next === '' ? url : `${url}?next=${encodeURIComponent(next)}`;
}

/**
 * Where `/hub/user-redirect/<rest>` sends a signed-in person: their default server's
 * `/user/<me>/<rest>` with the query kept, through `/hub/spawn/<me>` so a stopped server is
 * started on the way (JupyterHub's UserRedirectHandler). `rest` is the raw, still
 * percent-encoded path after `/hub/user-redirect/`; a path that would resolve outside the
 * person's own server (`..`, encoded dots, backslashes) gives undefined.
 */
export function userRedirectTarget(me: string, rest: string, search: string): string | undefined {
  const base = `/user/${userPathSegment(me)}/`;
  if (rest.includes('\\') || /%2e|%2f|%5c/i.test(rest)) return undefined;
  if (rest.split('/').some((s) => s === '.' || s === '..')) return undefined;
  let resolved: URL;
  try {
    resolved = new URL(`${base}${rest}`, 'http://hub.invalid');
  } catch {
    return undefined;
  }
  if (!resolved.pathname.startsWith(base)) return undefined;
  const query = search.startsWith('?') ? search.slice(1) : search;
  const target = `${resolved.pathname}${query === '' ? '' : `?${query}`}`;
  return spawnUrl(me, '', target);
}

/**
 * The sign-in page that comes back to `pathAndQuery` afterwards. A `token` parameter is
 * dropped: a credential never travels in `next=` (browser history, logs).
 */
export function loginUrl(pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://hub.invalid');
  url.searchParams.delete('token');
  return `/hub/login?next=${encodeURIComponent(url.pathname + url.search)}`;
}

/** What `GET /hub/spawn/…` does for one server. */
export type SpawnStep =
  /** The server runs: go to `next`, else the server. */
  | { readonly kind: 'open' }
  /** A start is under way: follow it on the pending page. */
  | { readonly kind: 'follow' }
  /** It is stopping: the person tries again in a moment. */
  | { readonly kind: 'wait' }
  /** Start it now; `profile` undefined lets the server service pick the only allowed one. */
  | { readonly kind: 'start'; readonly profile: string | undefined }
  /** Several environments are allowed: show the choice, which posts back and continues. */
  | { readonly kind: 'choose' };

export interface SpawnInput {
  readonly phase: ServerPhase;
  /** The environments this person may start, by name. */
  readonly allowed: readonly string[];
  /** An existing named server starts again in its own environment (server service rule). */
  readonly namedWithProfile: boolean;
  /** `?profile=` (or JupyterHub's `?opt-profile=`) asked for one; checked by the service. */
  readonly requested: string | undefined;
}

/**
 * JupyterHub's SpawnHandler.get, with profiles in place of the options form: a form is shown
 * only when there is a real choice. No allowed environment still "starts", so the server
 * service answers with its one clear refusal.
 */
export function decideSpawn(input: SpawnInput): SpawnStep {
  switch (input.phase) {
    case 'running':
      return { kind: 'open' };
    case 'starting':
      return { kind: 'follow' };
    case 'stopping':
      return { kind: 'wait' };
    case 'stopped':
    case 'failed':
      if (input.requested !== undefined) return { kind: 'start', profile: input.requested };
      if (input.namedWithProfile || input.allowed.length <= 1) {
        return { kind: 'start', profile: undefined };
      }
      return { kind: 'choose' };
  }
}

/** `?profile=` or `?opt-profile=` (JupyterHub's prefixed user option); '' counts as absent. */
export function requestedProfile(query: URLSearchParams): string | undefined {
  const value = query.get('opt-profile') ?? query.get('profile') ?? '';
  return value === '' ? undefined : value;
}
