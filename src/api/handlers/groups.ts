/**
 * `GET /groups`: every group (made in the admin console or named by the identity provider's
 * groups claim), with its members, paginated like `/users`: one store query
 * (`Store.listGroups`), never a read of every user.
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
  const groups = (await deps.store.listGroups()).map((group) => ({
    kind: 'group' as const,
    name: group.name,
    users: caller.scopes.has('read:groups') ? [...group.members] : [],
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
