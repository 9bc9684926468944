/**
 * The admin users page's search, filters, sort and page, as read from a query string and
 * written back into links (pager, sort, the forms' return address), so every link keeps them.
 * Pure. Anything unrecognised falls back to the default: a hand-edited URL shows a page, not
 * an error.
 */

export type UserStateFilter = '' | 'ready' | 'active' | 'inactive';

export interface UsersFilter {
  /** Part of the name, any case ('' for everyone). */
  readonly q: string;
  /** '' all; ready: a server running; active: starting, running or stopping; inactive: none. */
  readonly state: UserStateFilter;
  /** Members of this group ('' for everyone). */
  readonly group: string;
  readonly sort: 'name' | 'activity';
  /** 1-based. */
  readonly page: number;
}

const STATES: readonly UserStateFilter[] = ['', 'ready', 'active', 'inactive'];

export function usersFilter(get: (key: string) => string | undefined): UsersFilter {
  const text = (key: string) => (get(key) ?? '').normalize('NFC').trim().slice(0, 100);
  const state = text('state');
  const page = Number(get('page') ?? '1');
  return {
    q: text('q'),
    state: STATES.find((s) => s === state) ?? '',
    group: text('group'),
    sort: get('sort') === 'activity' ? 'activity' : 'name',
    page: Number.isSafeInteger(page) && page >= 1 ? Math.min(page, 1_000_000) : 1,
  };
}

/** The filter as a query string without defaults (`q=ann&sort=activity`), no leading `?`. */
export function filterQuery(filter: UsersFilter, changes: Partial<UsersFilter> = {}): string {
  const f = { ...filter, ...changes };
  const query = new URLSearchParams();
  if (f.q) query.set('q', f.q);
  if (f.state) query.set('state', f.state);
  if (f.group) query.set('group', f.group);
  if (f.sort !== 'name') query.set('sort', f.sort);
  if (f.page > 1) query.set('page', String(f.page));
  return query.toString();
}

/** `path` with the filter's query, if any. */
export function withFilter(path: string, filter: UsersFilter, changes: Partial<UsersFilter> = {}) {
  const query = filterQuery(filter, changes);
  return query ? `${path}?${query}` : path;
}
