/**
 * JupyterHub's pagination protocol (JupyterHub 2.0, "Paginating API requests" in its REST API
 * guide): list endpoints take `offset` and `limit`; a client that sends
 * `Accept: application/jupyterhub-pagination+json` gets `{items, _pagination}` with a `next`
 * link, older clients get the plain list (one page of it).
 */
export const PAGINATION_MEDIA_TYPE = 'application/jupyterhub-pagination+json';

export const DEFAULT_PAGE_LIMIT = 200;
export const MAX_PAGE_LIMIT = 200;

export interface PageRequest {
  readonly offset: number;
  readonly limit: number;
}

export interface Paginated<T> {
  readonly items: T[];
  readonly _pagination: {
    readonly offset: number;
    readonly limit: number;
    readonly total: number;
    readonly next: { readonly offset: number; readonly limit: number; readonly url: string } | null;
  };
}

export function acceptsPagination(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => part.split(';')[0]?.trim().toLowerCase() === PAGINATION_MEDIA_TYPE);
}

/** A limit above the maximum is lowered to it, as JupyterHub does, rather than refused. */
export function pageRequest(
  query: { offset: number; limit?: number | undefined },
  defaults: { defaultLimit: number; maxLimit: number },
): PageRequest {
  return {
    offset: query.offset,
    limit: Math.min(query.limit ?? defaults.defaultLimit, defaults.maxLimit),
  };
}

/** One page of `all`, and the envelope; `requestUrl` is the URL the next link is built from. */
export function paginate<T>(
  all: readonly T[],
  page: PageRequest,
  requestUrl: string,
): Paginated<T> {
  return paged(all.slice(page.offset, page.offset + page.limit), all.length, page, requestUrl);
}

/** The envelope around one page the database already cut, of `total` matching items. */
export function paged<T>(
  items: T[],
  total: number,
  page: PageRequest,
  requestUrl: string,
): Paginated<T> {
  const nextOffset = page.offset + page.limit;
  let next: Paginated<T>['_pagination']['next'] = null;
  if (nextOffset < total) {
    const url = new URL(requestUrl);
    url.searchParams.set('offset', String(nextOffset));
    url.searchParams.set('limit', String(page.limit));
    next = { offset: nextOffset, limit: page.limit, url: url.toString() };
  }
  return { items, _pagination: { offset: page.offset, limit: page.limit, total, next } };
}
