/**
 * `GET /groups`: the groups users belong to (from the admin console or the identity
 * provider's groups claim), with their members, paginated like `/users`. Built from each
 * user's memberships, because the store has no list of groups: a group without members is
 * not listed.
 */
import { requireUnfiltered } from '../access.ts';
import { authenticate, readQuery, type ApiContext, type ApiDeps } from '../context.ts';
import {
  acceptsPagination,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  paginate,
  pageRequest,
} from '../pagination.ts';
import { pageQuery } from '../schemas.ts';

export async function listGroups(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const query = readQuery(c, pageQuery);
  const caller = await authenticate(c, deps);
  requireUnfiltered(caller, 'list:groups', 'list groups');
  const members = new Map<string, string[]>();
  for (const user of await deps.store.listUsers()) {
    for (const group of await deps.store.listUserGroups(user.id)) {
      members.set(group, [...(members.get(group) ?? []), user.name]);
    }
  }
  const groups = [...members.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, users]) => ({
      kind: 'group' as const,
      name,
      users: caller.scopes.has('read:groups') ? users : [],
      roles: [],
      properties: {},
    }));
  const page = paginate(
    groups,
    pageRequest(query, {
      defaultLimit: deps.pageDefaultLimit ?? DEFAULT_PAGE_LIMIT,
      maxLimit: deps.pageMaxLimit ?? MAX_PAGE_LIMIT,
    }),
    c.req.url,
  );
  if (acceptsPagination(c.req.header('accept'))) return c.json(page);
  return c.json(page.items);
}
