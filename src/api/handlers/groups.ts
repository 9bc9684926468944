/**
 * `GET /groups`: every group (made in the admin console or named by the identity provider's
 * groups claim), with its members, paginated like `/users` (JupyterHub's `offset`, `limit`,
 * `name_filter` and pagination envelope): the page is cut in SQL (`Store.listGroups`), so a
 * request reads one page of groups, never the whole table.
 */
import { requireUnfiltered } from '../access.ts';
import { authenticate, readQuery, type ApiContext, type ApiDeps } from '../context.ts';
import {
  acceptsPagination,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  paged,
  pageRequest,
} from '../pagination.ts';
import { groupsQuery } from '../schemas.ts';

export async function listGroups(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const query = readQuery(c, groupsQuery);
  const caller = await authenticate(c, deps);
  requireUnfiltered(caller, 'list:groups', 'list groups');
  const page = pageRequest(query, {
    defaultLimit: deps.pageDefaultLimit ?? DEFAULT_PAGE_LIMIT,
    maxLimit: deps.pageMaxLimit ?? MAX_PAGE_LIMIT,
  });
  const { groups, total } = await deps.store.listGroups({
    ...page,
    ...(query.name_filter ? { namePrefix: query.name_filter } : {}),
  });
  const items = groups.map((group) => ({
    kind: 'group' as const,
    name: group.name,
    users: caller.scopes.has('read:groups') ? [...group.members] : [],
    roles: [],
    properties: {},
  }));
  const envelope = paged(items, total, page, c.req.url);
  if (acceptsPagination(c.req.header('accept'))) return c.json(envelope);
  return c.json(envelope.items);
}
