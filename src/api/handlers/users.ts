/** `/users` and `/users/{name}`: list, read, create, change and delete users. */
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { parseUserName } from '../../names/user-names.ts';
import { ACTIVE_PHASES } from '../../servers/server-service.ts';
import type { User } from '../../store/types.ts';
import { findUserFor, nameToCreate, requireUnfiltered } from '../access.ts';
import {
  authenticate,
  readJson,
  readQuery,
  type ApiContext,
  type ApiDeps,
  type Caller,
} from '../context.ts';
import { isActive, userModel, type ServerView } from '../models.ts';
import {
  acceptsPagination,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  paged,
  pageRequest,
} from '../pagination.ts';
import {
  createUserBody,
  createUsersBody,
  patchUserBody,
  userQuery,
  usersQuery,
} from '../schemas.ts';
import { allows, allowsAny, hasUnfiltered } from '../scopes.ts';

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
  views: readonly ServerView[],
  includeStopped = false,
) {
  return userModel(caller.scopes, user, views, {
    includeStopped,
    groups: await deps.store.listUserGroups(user.id),
  });
}

/** The user's servers as the API shows them: one store read and the backend's status. */
async function viewsOf(deps: ApiDeps, user: User): Promise<ServerView[]> {
  return (await deps.servers.statesOf([user])).get(user.id) ?? [];
}

/** The names a filtered `list:users` (`list:users!user=alice`) lets the caller list. */
function listableNames(caller: Caller): string[] | undefined {
  if (hasUnfiltered(caller.scopes, 'list:users')) return undefined;
  const prefix = 'list:users!user=';
  return [...caller.scopes].filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
}

function intersect(a: readonly string[] | undefined, b: readonly string[] | undefined) {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const keep = new Set(b);
  return a.filter((n) => keep.has(n));
}

/**
 * JupyterHub's `GET /users`: filtered, sorted and paged by the database. A state filter takes
 * its names from the backend's index (ready: a running server; active: starting, running or
 * stopping; inactive: everyone else) and a filtered `list:users` lists just its users.
 */
export async function listUsers(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const query = readQuery(c, usersQuery);
  const caller = await authenticate(c, deps);
  if (!allowsAny(caller.scopes, 'list:users')) {
    requireUnfiltered(caller, 'list:users', 'list users');
  }
  const page = pageRequest(query, {
    defaultLimit: deps.pageDefaultLimit ?? DEFAULT_PAGE_LIMIT,
    maxLimit: deps.pageMaxLimit ?? MAX_PAGE_LIMIT,
  });
  const active =
    query.state && deps.servers.usersIn(query.state === 'ready' ? ['running'] : ACTIVE_PHASES);
  const onlyNames = intersect(
    listableNames(caller),
    query.state === 'inactive' ? undefined : active,
  );
  const { users, total } =
    onlyNames?.length === 0
      ? { users: [], total: 0 }
      : await deps.store.listUsers({
          offset: page.offset,
          limit: page.limit,
          ...(onlyNames ? { onlyNames } : {}),
          ...(query.state === 'inactive' && active ? { exceptNames: active } : {}),
          ...(query.name_filter ? { namePrefix: query.name_filter } : {}),
        });
  const seesGroups = (name: string) =>
    allows(caller.scopes, 'read:users', name) || allows(caller.scopes, 'read:users:groups', name);
  // One query for the page's groups, one for its servers' history: never one per user.
  const [views, groups] = await Promise.all([
    deps.servers.statesOf(users),
    deps.store.groupsOf(users.filter((u) => seesGroups(u.name)).map((u) => u.id)),
  ]);
  const items = users.map((user) =>
    userModel(caller.scopes, user, views.get(user.id) ?? [], {
      includeStopped: query.include_stopped_servers,
      groups: groups.get(user.id) ?? [],
    }),
  );
  if (acceptsPagination(c.req.header('accept')))
    return c.json(paged(items, total, page, c.req.url));
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
  return c.json(
    await modelOf(deps, caller, user, await viewsOf(deps, user), query.include_stopped_servers),
  );
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
  return c.json(await modelOf(deps, caller, updated, await viewsOf(deps, updated)));
}

export async function deleteUser(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['delete:users']);
  if (user.id === caller.user.id) {
    throw new GanymedeError('bad_request', 'You cannot delete yourself.', { field: 'name' });
  }
  for (const view of await viewsOf(deps, user)) {
    // Stopping keeps the user's files: deleting storage is a separate, explicit admin choice.
    if (isActive(view)) await deps.servers.stop(user, view.name);
  }
  await deps.store.deleteUser(user.id);
  deps.auth.forget();
  deps.log.info({ by: caller.user.name, user: user.name }, 'deleted a user through the API');
  return c.body(null, 204);
}
