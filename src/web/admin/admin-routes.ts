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
import { checkServerName, type ServerService } from '../../servers/server-service.ts';
import type { Store, User } from '../../store/types.ts';
import {
  adminGroupsPage,
  adminServersPage,
  adminUsagePage,
  adminUsersPage,
  removeUserPage,
  type AdminNotice,
} from '../pages/admin.ts';
import { text, texts, type Guards, type WebContext, type WebEnv } from '../portal/guards.ts';
import { usageByDay } from './usage.ts';

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
  const done = (c: WebContext, path: string, code: string, name: string) =>
    c.redirect(`${path}?done=${code}&name=${encodeURIComponent(name)}`);

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

  async function usersPage(c: WebContext, notice?: AdminNotice, status: 200 | 201 = 200) {
    const identity = guards.admin(c);
    const [users, records] = await Promise.all([store.listUsers(), store.listServers()]);
    const rows = await Promise.all(
      users.map(async (user) => ({
        user,
        groups: await store.listUserGroups(user.id),
        server: records.find((s) => s.userId === user.id && s.name === ''),
      })),
    );
    c.header('cache-control', 'no-store');
    return c.html(adminUsersPage(identity, guards.xsrf(identity), rows, notice), status);
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

  app.get('/hub/admin/users/remove', async (c) => {
    const identity = guards.admin(c);
    const user = await findUser(c.req.query('user'));
    const record = await store.getServer(user.id, '');
    const running = record?.state === 'running' || record?.state === 'starting';
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
    const names = new Set(
      (await store.listServers()).filter((s) => s.userId === user.id).map((s) => s.name),
    );
    names.add('');
    for (const name of names) await servers.remove(user, name, { deleteStorage });
    await store.deleteUser(user.id);
    auth.forget();
    log.info({ by: identity.user, user: user.name, deleteStorage }, 'removed a user');
    return done(c, '/hub/admin', deleteStorage ? 'removed-files' : 'removed', user.name);
  });

  app.get('/hub/admin/groups', async (c) => {
    const identity = guards.admin(c);
    const [groups, rules] = await Promise.all([store.listGroups(), store.listProfileGroups()]);
    const access = servers.profiles.map((profile) => ({
      profile,
      groups: rules.filter((r) => r.profile === profile.name).map((r) => r.group),
    }));
    return c.html(adminGroupsPage(identity, guards.xsrf(identity), groups, access, noticeOf(c)));
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
    const known = new Set((await store.listGroups()).map((g) => g.name));
    const groups = texts(form, 'groups').map(groupName);
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

  app.get('/hub/admin/servers', async (c) => {
    const identity = guards.admin(c);
    const [users, records] = await Promise.all([store.listUsers(), store.listServers()]);
    const names = new Map(users.map((u) => [u.id, u.name]));
    const rows = records.flatMap((record) => {
      const user = names.get(record.userId);
      const profile = servers.profiles.find((p) => p.name === record.profile);
      return user ? [{ user, record, profile: profile?.displayName ?? record.profile }] : [];
    });
    c.header('cache-control', 'no-store');
    return c.html(adminServersPage(identity, guards.xsrf(identity), now(), rows, noticeOf(c)));
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
    const records = (await store.listServers()).filter(
      (s) => s.state === 'running' || s.state === 'starting',
    );
    let stopped = 0;
    for (const record of records) {
      const user = await store.getUserById(record.userId);
      if (!user) continue;
      await servers.stop(user, record.name);
      stopped++;
    }
    log.info({ by: identity.user, stopped }, 'stopped all servers');
    return done(c, '/hub/admin/servers', 'stopped-all', String(stopped));
  });

  app.get('/hub/admin/usage', async (c) => {
    const identity = guards.admin(c);
    const asked = Number(c.req.query('days') ?? 30);
    const days = USAGE_DAYS.includes(asked) ? asked : 30;
    const at = now();
    const from = new Date(at.getTime() - days * 86_400_000);
    const usage = usageByDay(await store.listRuns(from, at), {
      days,
      now: at,
      profileOrder: servers.profiles.map((p) => p.name),
    });
    const labels = new Map(servers.profiles.map((p) => [p.name, p.displayName]));
    return c.html(adminUsagePage(identity, guards.xsrf(identity), usage, labels, days));
  });

  return app;
}
