/** `/users` and `/users/{name}`: list, read, create, change and delete users. */
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { parseUserName } from '../../names/user-names.ts';
import type { ServerRecord, User } from '../../store/types.ts';
import { findUserFor, nameToCreate, requireUnfiltered } from '../access.ts';
import {
  authenticate,
  readJson,
  readQuery,
  type ApiContext,
  type ApiDeps,
  type Caller,
} from '../context.ts';
import { isActive, isReady, serverViews, userModel, type ServerView } from '../models.ts';
import {
  acceptsPagination,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  paginate,
  pageRequest,
} from '../pagination.ts';
import {
  createUserBody,
  createUsersBody,
  patchUserBody,
  userQuery,
  usersQuery,
} from '../schemas.ts';
import { allows, allowsAny } from '../scopes.ts';

/** Scopes any one of which lets a caller read (some of) a user's model. */
export const READ_USER_SCOPES = [
  'read:users',
  'read:users:name',
  'read:servers',
  'read:users:groups',
  'read:users:activity',
  'read:roles:users',
] as const;

async function modelOf(
  deps: ApiDeps,
  caller: Caller,
  user: User,
  records: readonly ServerRecord[],
  includeStopped = false,
) {
  const views = await serverViews(
    deps,
    user,
    records.filter((r) => r.userId === user.id),
  );
  return userModel(caller.scopes, user, views, {
    includeStopped,
    groups: await deps.store.listUserGroups(user.id),
  });
}

const stateFilters: Record<'active' | 'inactive' | 'ready', (views: ServerView[]) => boolean> = {
  active: (views) => views.some(isActive),
  ready: (views) => views.some(isReady),
  inactive: (views) => !views.some(isActive),
};

export async function listUsers(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const query = readQuery(c, usersQuery);
  const caller = await authenticate(c, deps);
  if (!allowsAny(caller.scopes, 'list:users')) {
    requireUnfiltered(caller, 'list:users', 'list users');
  }
  // A filtered list:users (`list:users!user=alice`) lists just those users, as in JupyterHub.
  const users = (await deps.store.listUsers()).filter((u) =>
    allows(caller.scopes, 'list:users', u.name),
  );
  const records = await deps.store.listServers();
  let rows = await Promise.all(
    users.map(async (user) => ({
      user,
      views: await serverViews(
        deps,
        user,
        records.filter((r) => r.userId === user.id),
      ),
    })),
  );
  if (query.state) {
    const keep = stateFilters[query.state];
    rows = rows.filter((row) => keep(row.views));
  }
  const page = paginate(
    rows,
    pageRequest(query, {
      defaultLimit: deps.pageDefaultLimit ?? DEFAULT_PAGE_LIMIT,
      maxLimit: deps.pageMaxLimit ?? MAX_PAGE_LIMIT,
    }),
    c.req.url,
  );
  const items = await Promise.all(
    page.items.map(async ({ user, views }) =>
      userModel(caller.scopes, user, views, {
        includeStopped: query.include_stopped_servers,
        groups: await deps.store.listUserGroups(user.id),
      }),
    ),
  );
  if (acceptsPagination(c.req.header('accept'))) return c.json({ ...page, items });
  return c.json(items);
}

export async function createUsers(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const body = await readJson(c, createUsersBody);
  const caller = await authenticate(c, deps);
  requireUnfiltered(caller, 'admin:users', 'create users');
  const names = body.usernames.map((raw, i) => parseUserName(raw, `usernames.${i}`));
  const toCreate: string[] = [];
  for (const name of new Set(names)) {
    if (!(await deps.store.getUser(name))) toCreate.push(name);
  }
  if (toCreate.length === 0) {
    throw new GanymedeError('conflict', `All ${names.length} users already exist.`, {
      field: 'usernames',
    });
  }
  const created: User[] = [];
  for (const name of toCreate) {
    created.push(await deps.auth.createUser(name, null, body.admin ?? false));
  }
  deps.log.info({ by: caller.user.name, users: toCreate }, 'created users through the API');
  const models = await Promise.all(created.map((u) => modelOf(deps, caller, u, [])));
  return c.json(models, 201);
}

export async function getUser(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const query = readQuery(c, userQuery);
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', READ_USER_SCOPES);
  const records = await deps.store.listServers();
  return c.json(await modelOf(deps, caller, user, records, query.include_stopped_servers));
}

export async function createUser(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const body = await readJson(c, createUserBody);
  const caller = await authenticate(c, deps);
  const name = nameToCreate(caller, c.req.param('name') ?? '', 'admin:users');
  if (await deps.store.getUser(name)) {
    throw new GanymedeError('conflict', `User ${name} already exists.`, { field: 'name' });
  }
  // No password: the person signs in through the identity provider, or an administrator
  // sets one in the admin console.
  const user = await deps.auth.createUser(name, null, body?.admin ?? false);
  deps.log.info({ by: caller.user.name, user: name }, 'created a user through the API');
  return c.json(await modelOf(deps, caller, user, []), 201);
}

export async function patchUser(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const body = await readJson(c, patchUserBody);
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['admin:users']);
  if (body.name !== undefined && parseUserName(body.name) !== user.name) {
    // A user's name is in their server URLs and storage names; changing it would orphan both.
    throw new GanymedeError('bad_request', 'Renaming users is not supported.', { field: 'name' });
  }
  if (body.admin !== undefined && body.admin !== user.admin) {
    await deps.store.setAdmin(user.id, body.admin);
    deps.auth.forget(); // cached identities carry the admin flag
    deps.log.info({ by: caller.user.name, user: user.name, admin: body.admin }, 'changed admin');
  }
  const updated = (await deps.store.getUserById(user.id)) ?? user;
  return c.json(await modelOf(deps, caller, updated, await deps.store.listServers()));
}

export async function deleteUser(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['delete:users']);
  if (user.id === caller.user.id) {
    throw new GanymedeError('bad_request', 'You cannot delete yourself.', { field: 'name' });
  }
  const records = (await deps.store.listServers()).filter((r) => r.userId === user.id);
  for (const view of await serverViews(deps, user, records)) {
    // Stopping keeps the user's files: deleting storage is a separate, explicit admin choice.
    if (isActive(view)) await deps.servers.stop(user, view.record.name);
  }
  await deps.store.deleteUser(user.id);
  deps.auth.forget();
  deps.log.info({ by: caller.user.name, user: user.name }, 'deleted a user through the API');
  return c.body(null, 204);
}
