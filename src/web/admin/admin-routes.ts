/**
 * The admin console under /hub/admin: users (add, invite or reset with a one-time link, make
 * or remove admin, remove with an explicit, separate choice about their files), groups and
 * which groups may use which environment, every server with stop one / stop all, and usage.
 * Every route checks the admin role first (403 otherwise); every form its `_xsrf`.
 */
import { Hono } from 'hono';
import type { AuthService } from '../../auth/auth-service.ts';
import { hashSecret, newSecret } from '../../auth/secrets.ts';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import type { Logger } from '../../logging/logger.ts';
import { parseUserName } from '../../names/user-names.ts';
import {
  ACTIVE_PHASES,
  checkServerName,
  type ServerService,
  type ServerState,
} from '../../servers/server-service.ts';
import type { ServerPhase } from '../../backends/types.ts';
import type { Store, User } from '../../store/types.ts';
import {
  adminGroupsPage,
  adminLinksPage,
  adminServersPage,
  adminUsagePage,
  adminUserPage,
  adminUsersPage,
  removeUserPage,
  type AdminNotice,
} from '../pages/admin.ts';
import { text, texts, type Guards, type WebContext, type WebEnv } from '../portal/guards.ts';
import { contentLinkSchema, nbgitpullerLink } from './content-link.ts';
import { usageFromRows, usagePeriod } from './usage.ts';
import { filterQuery, usersFilter } from './users-filter.ts';

export interface AdminDeps {
  readonly auth: AuthService;
  readonly servers: ServerService;
  readonly store: Store;
  readonly log: Logger;
  readonly guards: Guards;
  /** `https://notebooks.example.org`: the start of one-time links; default: the request's. */
  readonly publicUrl: string | undefined;
  readonly now?: () => Date;
  /** How long a one-time link works. Default 7 days. */
  readonly inviteDays?: number;
}

const notices: Record<string, (name: string) => string> = {
  'made-admin': (n) => `${n} is now an administrator.`,
  'removed-admin': (n) => `${n} is no longer an administrator.`,
  removed: (n) => `${n} was removed.`,
  'removed-files': (n) => `${n} and their files were removed.`,
  stopped: (n) => `${n}'s server was stopped.`,
  'stopped-all': (n) => `Stopped ${n} server(s).`,
  'group-saved': (n) => `Saved the members of ${n}.`,
  'group-created': (n) => `Created the group ${n}.`,
  'group-deleted': (n) => `Deleted the group ${n}.`,
  'access-saved': (n) => `Saved who may use ${n}.`,
};

const USAGE_DAYS = [7, 30, 90];
/** 50 rows keep a users page far below 200 kB (admin-routes.test.ts measures it). */
const USERS_PER_PAGE = 50;
const GROUPS_PER_PAGE = 50;
const SERVERS_PER_PAGE = 50;
/** The servers view lists what the backend knows: a stopped server is only a store row. */
const LISTED_PHASES: readonly ServerPhase[] = ['starting', 'running', 'stopping', 'failed'];

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A group name: any text people can read, trimmed, 1–100 characters. */
function groupName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  if (name.length === 0 || name.length > 100 || /[\p{Cc}]/u.test(name)) {
    throw new GanymedeError('bad_request', 'Group names are 1 to 100 characters.', {
      field: 'group',
    });
  }
  return name;
}

export function createAdminRoutes(deps: AdminDeps): Hono<WebEnv> {
  const { auth, servers, store, log, guards } = deps;
  const now = deps.now ?? (() => new Date());
  const app = new Hono<WebEnv>();

  const noticeOf = (c: WebContext): AdminNotice | undefined => {
    const make = notices[c.req.query('done') ?? ''];
    return make ? { text: make(c.req.query('name') ?? '') } : undefined;
  };
  // Back to where the form was, its filters and page kept (they ride on the form's action URL).
  const done = (c: WebContext, path: string, code: string, name: string) => {
    const back = new URLSearchParams(
      path === '/hub/admin' ? filterQuery(usersFilter((k) => c.req.query(k))) : '',
    );
    if (path === '/hub/admin/servers') {
      const page = Number(c.req.query('page'));
      if (Number.isSafeInteger(page) && page > 1) back.set('page', String(page));
    }
    back.set('done', code);
    back.set('name', name);
    return c.redirect(`${path}?${back.toString()}`);
  };

  /** These users by name, one query per 500 names. */
  async function usersNamed(names: readonly string[]): Promise<Map<string, User>> {
    const unique = [...new Set(names)];
    const out = new Map<string, User>();
    for (let i = 0; i < unique.length; i += 500) {
      for (const u of await store.getUsersByName(unique.slice(i, i + 500))) out.set(u.name, u);
    }
    return out;
  }

  async function findUser(raw: unknown): Promise<User> {
    const user = await store.getUser(parseUserName(raw, 'user'));
    if (!user) throw new GanymedeError('not_found', 'There is no such user.', { field: 'user' });
    return user;
  }

  /** A new one-time link for `user`, voiding earlier ones. */
  async function oneTimeLink(c: WebContext, user: User): Promise<string> {
    const secret = newSecret();
    const created = now();
    await store.createInvite({
      hash: hashSecret(secret),
      userId: user.id,
      createdAt: created,
      expiresAt: new Date(created.getTime() + (deps.inviteDays ?? 7) * 86_400_000),
    });
    const origin = deps.publicUrl ? new URL(deps.publicUrl).origin : new URL(c.req.url).origin;
    return `${origin}/hub/invite/${secret}`;
  }

  /** One page of users, filtered, sorted and paged by the database (never the whole table). */
  async function usersPage(c: WebContext, notice?: AdminNotice, status: 200 | 201 = 200) {
    const identity = guards.admin(c);
    const filter = usersFilter((k) => c.req.query(k));
    // A state filter takes its names from the backend's index, as the REST API's does.
    const active =
      filter.state === ''
        ? undefined
        : servers.usersIn(filter.state === 'ready' ? ['running'] : ACTIVE_PHASES);
    const only = filter.state === 'inactive' ? undefined : active;
    const { users, total } =
      only?.length === 0
        ? { users: [], total: 0 }
        : await store.listUsers({
            offset: (filter.page - 1) * USERS_PER_PAGE,
            limit: USERS_PER_PAGE,
            sort: filter.sort === 'activity' ? 'last_activity' : 'name',
            ...(filter.q ? { nameContains: filter.q } : {}),
            ...(filter.group ? { group: filter.group } : {}),
            ...(only ? { onlyNames: only } : {}),
            ...(filter.state === 'inactive' && active ? { exceptNames: active } : {}),
          });
    const ids = users.map((u) => u.id);
    const [states, activity, groups] = await Promise.all([
      servers.statesOf(users),
      store.lastActivityOf(ids),
      store.groupsOf(ids),
    ]);
    const rows = users.map((user) => ({
      user,
      groups: groups.get(user.id) ?? [],
      server: states.get(user.id)?.find((s) => s.name === ''),
      lastActivity: activity.get(user.id),
    }));
    c.header('cache-control', 'no-store');
    return c.html(
      adminUsersPage(identity, guards.xsrf(identity), {
        rows,
        total,
        filter,
        perPage: USERS_PER_PAGE,
        now: now(),
        ...(notice ? { notice } : {}),
      }),
      status,
    );
  }

  app.get('/hub/admin', (c) => usersPage(c, noticeOf(c)));

  app.post('/hub/admin/users', async (c) => {
    const { identity, form } = await guards.adminForm(c);
    const invite = text(form, 'access') !== 'password';
    const user = await auth.createUser(
      form['name'],
      invite ? null : text(form, 'password'),
      text(form, 'admin') === '1',
    );
    log.info({ by: identity.user, user: user.name, invite }, 'added a user');
    if (!invite) return usersPage(c, { text: `Added ${user.name}.` }, 201);
    const link = await oneTimeLink(c, user);
    return usersPage(
      c,
      { text: `Added ${user.name}. Send them this link to choose a password:`, link },
      201,
    );
  });

  app.post('/hub/admin/users/reset', async (c) => {
    const { identity, form } = await guards.adminForm(c);
    const user = await findUser(form['user']);
    const link = await oneTimeLink(c, user);
    log.info({ by: identity.user, user: user.name }, 'made a password link');
    return usersPage(c, {
      text: `Send ${user.name} this link to choose a new password. Their current password keeps working until they use it.`,
      link,
    });
  });

  app.post('/hub/admin/users/admin', async (c) => {
    const { identity, form } = await guards.adminForm(c);
    const user = await findUser(form['user']);
    if (user.id === identity.userId) {
      throw new GanymedeError('bad_request', 'You cannot change your own role.', { field: 'user' });
    }
    const admin = text(form, 'admin') === '1';
    await store.setAdmin(user.id, admin);
    auth.forget(); // the role is part of the cached identity
    log.info({ by: identity.user, user: user.name, admin }, 'changed a role');
    return done(c, '/hub/admin', admin ? 'made-admin' : 'removed-admin', user.name);
  });

  // One user: what the users table cannot hold, such as use against each quota (one user's
  // groups, open runs and hours this month: no whole-table reads).
  app.get('/hub/admin/users/view', async (c) => {
    const identity = guards.admin(c);
    const user = await findUser(c.req.query('user'));
    const [groups, states, quotas] = await Promise.all([
      store.listUserGroups(user.id),
      servers.statesOf([user]),
      servers.quotaUse(user),
    ]);
    c.header('cache-control', 'no-store');
    return c.html(
      adminUserPage(identity, guards.xsrf(identity), {
        user,
        groups,
        servers: states.get(user.id) ?? [],
        quotas,
      }),
    );
  });

  app.get('/hub/admin/users/remove', async (c) => {
    const identity = guards.admin(c);
    const user = await findUser(c.req.query('user'));
    const mine = (await servers.statesOf([user])).get(user.id) ?? [];
    const running = mine.some((s) => s.phase === 'running' || s.phase === 'starting');
    return c.html(removeUserPage(identity, guards.xsrf(identity), user, running));
  });

  app.post('/hub/admin/users/remove', async (c) => {
    const { identity, form } = await guards.adminForm(c);
    const user = await findUser(form['user']);
    if (user.id === identity.userId) {
      throw new GanymedeError('bad_request', 'You cannot remove yourself.', { field: 'user' });
    }
    // Files go only when the box was ticked; anything else keeps them (DESIGN.md).
    const deleteStorage = text(form, 'delete_files') === '1';
    const names = new Set((await servers.serversOf(user)).map((s) => s.name));
    names.add('');
    for (const name of names) await servers.remove(user, name, { deleteStorage });
    await store.deleteUser(user.id);
    auth.forget();
    log.info({ by: identity.user, user: user.name, deleteStorage }, 'removed a user');
    return done(c, '/hub/admin', deleteStorage ? 'removed-files' : 'removed', user.name);
  });

  app.get('/hub/admin/groups', async (c) => {
    const identity = guards.admin(c);
    // A page of groups, cut in SQL; the rules of the configured profiles (few).
    const asked = Number(c.req.query('page') ?? 1);
    let page = Number.isSafeInteger(asked) && asked > 1 ? asked : 1;
    const ask = (p: number) =>
      store.listGroups({ offset: (p - 1) * GROUPS_PER_PAGE, limit: GROUPS_PER_PAGE });
    let listed = await ask(page);
    const pages = Math.max(1, Math.ceil(listed.total / GROUPS_PER_PAGE));
    if (page > pages) listed = await ask((page = pages));
    const rules = await store.listProfileGroups(servers.profiles.map((p) => p.name));
    const access = servers.profiles.map((profile) => ({
      profile,
      groups: rules.filter((r) => r.profile === profile.name).map((r) => r.group),
    }));
    return c.html(
      adminGroupsPage(
        identity,
        guards.xsrf(identity),
        { groups: listed.groups, total: listed.total, page, pages },
        access,
        noticeOf(c),
      ),
    );
  });

  async function memberIds(raw: string): Promise<number[]> {
    const ids: number[] = [];
    for (const name of raw.split(/[\s,]+/).filter(Boolean)) {
      const user = await store.getUser(parseUserName(name, 'members'));
      if (!user) {
        throw new GanymedeError('bad_request', `There is no user called "${name}".`, {
          field: 'members',
        });
      }
      ids.push(user.id);
    }
    return ids;
  }

  app.post('/hub/admin/groups', async (c) => {
    const { form } = await guards.adminForm(c);
    const group = groupName(text(form, 'group'));
    const ids = await memberIds(text(form, 'members'));
    await store.createGroup(group);
    if (ids.length) await store.setGroupMembers(group, 'local', ids);
    return done(c, '/hub/admin/groups', 'group-created', group);
  });

  app.post('/hub/admin/groups/members', async (c) => {
    const { form } = await guards.adminForm(c);
    const group = groupName(text(form, 'group'));
    await store.setGroupMembers(group, 'local', await memberIds(text(form, 'members')));
    return done(c, '/hub/admin/groups', 'group-saved', group);
  });

  app.post('/hub/admin/groups/delete', async (c) => {
    const { form } = await guards.adminForm(c);
    const group = groupName(text(form, 'group'));
    await store.deleteGroup(group);
    return done(c, '/hub/admin/groups', 'group-deleted', group);
  });

  app.post('/hub/admin/access', async (c) => {
    const { identity, form } = await guards.adminForm(c);
    const profile = servers.profileFor(text(form, 'profile'));
    const groups = texts(form, 'groups').map(groupName);
    const known = new Set(await store.existingGroups(groups));
    const unknown = groups.find((g) => !known.has(g));
    if (unknown !== undefined) {
      throw new GanymedeError('bad_request', `There is no group called "${unknown}".`, {
        field: 'groups',
      });
    }
    await store.setProfileGroups(profile.name, groups);
    log.info({ by: identity.user, profile: profile.name, groups }, 'changed environment access');
    return done(c, '/hub/admin/groups', 'access-saved', profile.displayName);
  });

  /**
   * The servers the backend knows (starting, running, stopping or failed), from its index,
   * a page at a time; the store adds environment and activity for that page only.
   */
  app.get('/hub/admin/servers', async (c) => {
    const identity = guards.admin(c);
    const found = servers
      .find(LISTED_PHASES)
      .sort((a, b) => compare(a.ref.user, b.ref.user) || compare(a.ref.server, b.ref.server));
    const pages = Math.max(1, Math.ceil(found.length / SERVERS_PER_PAGE));
    const asked = Number(c.req.query('page') ?? 1);
    const page = Number.isSafeInteger(asked) ? Math.min(Math.max(asked, 1), pages) : 1;
    const slice = found.slice((page - 1) * SERVERS_PER_PAGE, page * SERVERS_PER_PAGE);
    const users = await usersNamed(slice.map((s) => s.ref.user));
    const states = await servers.statesOf([...users.values()]);
    const rows = slice.map(({ ref, status }) => {
      const user = users.get(ref.user);
      const state: ServerState = (user &&
        states.get(user.id)?.find((s) => s.name === ref.server)) ?? {
        // A server the backend runs without a row of its own (made before its row existed).
        name: ref.server,
        phase: status.phase,
        profile: status.profile,
        message: status.message,
        detail: status.detail,
        startedAt: status.startedAt,
        lastActivity: undefined,
        recorded: false,
      };
      const profile = servers.profiles.find((p) => p.name === state.profile);
      return { user: ref.user, state, profile: profile?.displayName ?? state.profile ?? '' };
    });
    const active = servers.find(['starting', 'running']).length;
    const notice = noticeOf(c);
    c.header('cache-control', 'no-store');
    return c.html(
      adminServersPage(identity, guards.xsrf(identity), now(), {
        rows,
        active,
        page,
        pages,
        ...(notice ? { notice } : {}),
      }),
    );
  });

  app.post('/hub/admin/stop', async (c) => {
    const { identity, form } = await guards.adminForm(c);
    const user = await findUser(form['user']);
    const server = checkServerName(text(form, 'server'));
    await servers.stop(user, server);
    log.info({ by: identity.user, user: user.name, server }, 'stopped a server');
    return done(c, '/hub/admin/servers', 'stopped', user.name);
  });

  app.post('/hub/admin/servers/stop-all', async (c) => {
    const { identity } = await guards.adminForm(c);
    const refs = servers.find(['starting', 'running']).map((s) => s.ref);
    const users = await usersNamed(refs.map((r) => r.user));
    let stopped = 0;
    for (const ref of refs) {
      const user = users.get(ref.user);
      if (!user) continue;
      await servers.stop(user, ref.server);
      stopped++;
    }
    log.info({ by: identity.user, stopped }, 'stopped all servers');
    return done(c, '/hub/admin/servers', 'stopped-all', String(stopped));
  });

  // A GET form that changes nothing: the page itself, with the link once the fields are valid.
  app.get('/hub/admin/links', (c) => {
    const identity = guards.admin(c);
    const values = {
      repo: c.req.query('repo') ?? '',
      branch: c.req.query('branch') ?? '',
      file: c.req.query('file') ?? '',
    };
    const view = { values, link: undefined, error: undefined };
    if (c.req.query('repo') === undefined) {
      return c.html(adminLinksPage(identity, guards.xsrf(identity), view));
    }
    const parsed = contentLinkSchema.safeParse(values);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const error = {
        field: String(issue?.path[0] ?? 'repo'),
        message: issue?.message ?? 'Check the form.',
      };
      return c.html(adminLinksPage(identity, guards.xsrf(identity), { ...view, error }), 400);
    }
    const origin = deps.publicUrl ? new URL(deps.publicUrl).origin : new URL(c.req.url).origin;
    const link = nbgitpullerLink(origin, parsed.data);
    return c.html(adminLinksPage(identity, guards.xsrf(identity), { ...view, link }));
  });

  app.get('/hub/admin/usage', async (c) => {
    const identity = guards.admin(c);
    const asked = Number(c.req.query('days') ?? 30);
    const days = USAGE_DAYS.includes(asked) ? asked : 30;
    const at = now();
    const { from, to } = usagePeriod(days, at);
    // Summed by the database: the request never reads the runs themselves.
    const usage = usageFromRows(await store.usage(from, to, at), {
      days,
      now: at,
      profileOrder: servers.profiles.map((p) => p.name),
    });
    const labels = new Map(servers.profiles.map((p) => [p.name, p.displayName]));
    return c.html(adminUsagePage(identity, guards.xsrf(identity), usage, labels, days));
  });

  return app;
}
