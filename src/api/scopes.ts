/**
 * JupyterHub's scopes, so tokens and tools written for JupyterHub mean the same thing here
 * (https://jupyterhub.readthedocs.io/en/stable/rbac/scopes.html).
 *
 * A scope is `base` (on everything) or `base!user=<name>` / `base!server=<user>/<server>` /
 * `base!group=<group>` (on one user, one of their servers, or the members of a group). Holding
 * a scope implies its subscopes with the same filter. Two metascopes are resolved against the
 * owner: `self` (the owner's own resources) and `inherit` (everything the owner may do).
 *
 * Everything in this file is pure: sets of expanded scope strings in, sets out. Group filters
 * are resolved with the memberships the caller passes (`groupsOf`, `groups`): the owner's for
 * an intersection (the only user a non-admin's rights name), the target's for a check.
 */

interface ScopeDefinition {
  readonly description: string;
  readonly subscopes?: readonly string[];
}

/** JupyterHub's scope table (jupyterhub/scopes.py), without shares and services' own scopes. */
export const scopeDefinitions: Readonly<Record<string, ScopeDefinition>> = {
  '(no_scope)': { description: 'Identify the owner of the requesting entity.' },
  'admin-ui': { description: 'Access the admin page.' },
  'admin:users': {
    description: 'Read, modify, create and delete users, not including their servers or tokens.',
    subscopes: ['admin:auth_state', 'users', 'read:roles:users', 'delete:users'],
  },
  'admin:auth_state': { description: "Read a user's authentication state." },
  users: {
    description: 'Read and write user models (excluding servers, tokens and auth state).',
    subscopes: ['read:users', 'list:users', 'users:activity'],
  },
  'delete:users': { description: 'Delete users.' },
  'list:users': {
    description: 'List users, including at least their names.',
    subscopes: ['read:users:name'],
  },
  'read:users': {
    description: 'Read user models (excluding servers, tokens and auth state).',
    subscopes: ['read:users:name', 'read:users:groups', 'read:users:activity'],
  },
  'read:users:name': { description: 'Read names of users.' },
  'read:users:groups': { description: "Read users' group membership." },
  'read:users:activity': { description: 'Read time of last user activity.' },
  'read:roles': {
    description: 'Read role assignments.',
    subscopes: ['read:roles:users', 'read:roles:services', 'read:roles:groups'],
  },
  'read:roles:users': { description: 'Read user role assignments.' },
  'read:roles:services': { description: 'Read service role assignments.' },
  'read:roles:groups': { description: 'Read group role assignments.' },
  'users:activity': {
    description: 'Update time of last user activity.',
    subscopes: ['read:users:activity'],
  },
  'admin:servers': {
    description: 'Read, start, stop, create and delete user servers and their state.',
    subscopes: ['admin:server_state', 'servers'],
  },
  'admin:server_state': { description: "Read and write users' server state." },
  servers: {
    description: 'Start and stop user servers.',
    subscopes: ['read:servers', 'delete:servers'],
  },
  'read:servers': {
    description: "Read users' names and their server models (excluding the server state).",
    subscopes: ['read:users:name'],
  },
  'delete:servers': { description: "Stop and delete users' servers." },
  tokens: {
    description: 'Read, write, create and delete user tokens.',
    subscopes: ['read:tokens'],
  },
  'read:tokens': { description: 'Read user tokens.' },
  'admin:groups': {
    description: 'Read and write group information, create and delete groups.',
    subscopes: ['groups', 'read:roles:groups', 'delete:groups'],
  },
  groups: {
    description: 'Read and write group information, including adding and removing users.',
    subscopes: ['read:groups', 'list:groups'],
  },
  'list:groups': {
    description: 'List groups, including at least their names.',
    subscopes: ['read:groups:name'],
  },
  'read:groups': { description: 'Read group models.', subscopes: ['read:groups:name'] },
  'read:groups:name': { description: 'Read group names.' },
  'delete:groups': { description: 'Delete groups.' },
  'list:services': {
    description: 'List services, including at least their names.',
    subscopes: ['read:services:name'],
  },
  'read:services': { description: 'Read service models.', subscopes: ['read:services:name'] },
  'read:services:name': { description: 'Read service names.' },
  'read:hub': { description: 'Read detailed information about the Hub.' },
  'access:servers': { description: 'Access user servers via API or browser.' },
  'access:services': { description: 'Access services via API or browser.' },
  proxy: { description: "Read the proxy's routing table." },
  shutdown: { description: 'Shut down the hub.' },
  'read:metrics': { description: 'Read Prometheus metrics.' },
};

/** What `self` means for a user (JupyterHub's `_expand_self_scope`, without shares). */
const selfScopes = [
  'read:users',
  'read:users:name',
  'read:users:groups',
  'read:users:activity',
  'users:activity',
  'servers',
  'read:servers',
  'delete:servers',
  'tokens',
  'read:tokens',
  'access:servers',
] as const;

export type RoleName = 'user' | 'admin' | 'server-management';

/**
 * The built-in roles. `user` and `admin` are JupyterHub's; `server-management` is what an idle
 * culler or a course-management script needs (list users, see and stop or start servers,
 * report activity) and nothing else. Users hold `user`, admins also `admin`; a token may be
 * issued with any role whose scopes its owner holds.
 */
export const roles: Readonly<Record<RoleName, { description: string; scopes: readonly string[] }>> =
  {
    user: { description: 'Everything a user may do with their own account.', scopes: ['self'] },
    admin: {
      description: 'Everything, for every user.',
      scopes: [
        'admin-ui',
        'admin:users',
        'admin:servers',
        'tokens',
        'admin:groups',
        'list:services',
        'read:services',
        'read:hub',
        'proxy',
        'shutdown',
        'access:services',
        'access:servers',
        'read:roles',
        'read:metrics',
      ],
    },
    'server-management': {
      description: 'List users, read, start and stop their servers, report activity.',
      scopes: ['list:users', 'read:users:activity', 'users:activity', 'servers'],
    },
  };

export function isRoleName(name: string): name is RoleName {
  return Object.hasOwn(roles, name);
}

export interface ScopeOwner {
  readonly name: string;
  readonly admin: boolean;
}

export function rolesOf(owner: ScopeOwner): RoleName[] {
  return owner.admin ? ['admin', 'user'] : ['user'];
}

/** Why a raw scope is not acceptable, or undefined when it is. */
export function scopeProblem(raw: string): string | undefined {
  if (raw === 'self' || raw === 'inherit') return undefined;
  const bang = raw.indexOf('!');
  const base = bang === -1 ? raw : raw.slice(0, bang);
  if (!Object.hasOwn(scopeDefinitions, base)) return `"${base}" is not a scope`;
  if (bang === -1) return undefined;
  const filter = raw.slice(bang + 1);
  const m = /^(user|server|group)=(.+)$/.exec(filter);
  const [, kind, value = ''] = m ?? [];
  if (!kind) {
    return `"${raw}" has a filter that is not !user=<name>, !server=<user>/<server> or !group=<group>`;
  }
  if (kind === 'server' && !value.includes('/')) return `"${raw}": use !server=<user>/<server>`;
  return undefined;
}

function withFilter(base: string, filter: string): string {
  return filter ? `${base}!${filter}` : base;
}

function addWithSubscopes(out: Set<string>, base: string, filter: string): void {
  const key = withFilter(base, filter);
  if (out.has(key)) return;
  out.add(key);
  for (const sub of scopeDefinitions[base]?.subscopes ?? []) addWithSubscopes(out, sub, filter);
}

/**
 * Expands raw scopes (as stored on a token or written in a role) into the full set they grant,
 * resolving `self` and `inherit` against the owner. Unknown scopes are dropped: callers that
 * take scopes from a request check `scopeProblem` first.
 */
export function expandScopes(raw: Iterable<string>, owner: ScopeOwner): Set<string> {
  const out = new Set<string>();
  for (const scope of raw) {
    if (scope === 'self') {
      for (const s of selfScopes) addWithSubscopes(out, s, `user=${owner.name}`);
    } else if (scope === 'inherit') {
      for (const s of rightsOf(owner)) out.add(s);
    } else if (scopeProblem(scope) === undefined) {
      const bang = scope.indexOf('!');
      if (bang === -1) addWithSubscopes(out, scope, '');
      else addWithSubscopes(out, scope.slice(0, bang), scope.slice(bang + 1));
    }
  }
  return out;
}

export function roleScopes(role: RoleName): readonly string[] {
  return roles[role].scopes;
}

/** Everything the owner's roles grant, expanded. */
export function rightsOf(owner: ScopeOwner): Set<string> {
  return expandScopes(
    rolesOf(owner).flatMap((r) => roleScopes(r)),
    owner,
  );
}

/** The scopes that let anyone identify themselves (`GET /user`), whatever their token says. */
export function identifyScopes(owner: ScopeOwner): Set<string> {
  return new Set([`read:users:name!user=${owner.name}`, `read:users:groups!user=${owner.name}`]);
}

interface Grant {
  all: boolean;
  users: Set<string>;
  servers: Set<string>;
  groups: Set<string>;
}

/** The groups a user belongs to, as far as the caller knows (empty when unknown). */
export type GroupsOf = (user: string) => readonly string[];

const noGroups: GroupsOf = () => [];

function parse(scopes: Iterable<string>): Map<string, Grant> {
  const grants = new Map<string, Grant>();
  for (const scope of scopes) {
    const bang = scope.indexOf('!');
    const base = bang === -1 ? scope : scope.slice(0, bang);
    let grant = grants.get(base);
    if (!grant) {
      grant = { all: false, users: new Set(), servers: new Set(), groups: new Set() };
      grants.set(base, grant);
    }
    if (bang === -1) grant.all = true;
    else {
      const filter = scope.slice(bang + 1);
      if (filter.startsWith('user=')) grant.users.add(filter.slice(5));
      else if (filter.startsWith('server=')) grant.servers.add(filter.slice(7));
      else if (filter.startsWith('group=')) grant.groups.add(filter.slice(6));
    }
  }
  return grants;
}

const serverOwner = (server: string): string => server.slice(0, server.indexOf('/'));

/** Whether `grant` covers the filtered target (a user, `user/server`, or a whole group). */
function covers(
  grant: Grant | undefined,
  target: { user?: string; server?: string; group?: string },
  groupsOf: GroupsOf,
): boolean {
  if (!grant) return false;
  if (grant.all) return true;
  if (target.group !== undefined) return grant.groups.has(target.group);
  const user = target.server === undefined ? target.user : serverOwner(target.server);
  if (user === undefined) return false;
  if (target.server !== undefined && grant.servers.has(target.server)) return true;
  if (grant.users.has(user)) return true;
  return grant.groups.size > 0 && groupsOf(user).some((g) => grant.groups.has(g));
}

/**
 * The permissions both sets grant (a token's scopes and its owner's rights): `servers` ∩
 * `servers!user=alice` is `servers!user=alice`; `servers!server=alice/` ∩ `servers!user=alice`
 * is `servers!server=alice/`; `servers!group=g` ∩ `servers!user=alice` is `servers!user=alice`
 * when alice is in g (by `groupsOf`), else nothing.
 */
export function intersectScopes(
  a: Iterable<string>,
  b: Iterable<string>,
  groupsOf: GroupsOf = noGroups,
): Set<string> {
  const pa = parse(a);
  const pb = parse(b);
  const out = new Set<string>();
  for (const [base, ga] of pa) {
    const gb = pb.get(base);
    if (!gb) continue;
    if (ga.all && gb.all) {
      out.add(base);
      continue;
    }
    const [narrow, wide] = ga.all ? [gb, ga] : [ga, gb];
    for (const user of narrow.users) {
      if (covers(wide, { user }, groupsOf)) out.add(`${base}!user=${user}`);
    }
    for (const server of narrow.servers) {
      if (covers(wide, { server }, groupsOf)) out.add(`${base}!server=${server}`);
    }
    for (const group of narrow.groups) {
      if (covers(wide, { group }, groupsOf)) out.add(`${base}!group=${group}`);
    }
    if (!ga.all && !gb.all) {
      // The narrow side's filters were matched against the wide side above; the reverse: the
      // wide side's users and servers that a user or group on the narrow side takes in.
      const inNarrow = (user: string) =>
        narrow.users.has(user) ||
        (narrow.groups.size > 0 && groupsOf(user).some((g) => narrow.groups.has(g)));
      for (const server of wide.servers) {
        if (inNarrow(serverOwner(server))) out.add(`${base}!server=${server}`);
      }
      for (const user of wide.users) {
        if (!narrow.users.has(user) && inNarrow(user)) out.add(`${base}!user=${user}`);
      }
    }
  }
  return out;
}

/** Whether every permission in `wanted` is also in `held`. */
export function isSubset(
  wanted: Iterable<string>,
  held: Iterable<string>,
  groupsOf: GroupsOf = noGroups,
): boolean {
  const ph = parse(held);
  for (const scope of wanted) {
    const [base = scope, filter] = scope.split('!', 2);
    const grant = ph.get(base);
    if (filter === undefined) {
      if (!grant?.all) return false;
    } else if (filter.startsWith('user=')) {
      if (!covers(grant, { user: filter.slice(5) }, groupsOf)) return false;
    } else if (filter.startsWith('group=')) {
      if (!covers(grant, { group: filter.slice(6) }, groupsOf)) return false;
    } else if (!covers(grant, { server: filter.slice(7) }, groupsOf)) return false;
  }
  return true;
}

/** Whether `scopes` grant `base` on everything (collection endpoints). */
export function hasUnfiltered(scopes: ReadonlySet<string>, base: string): boolean {
  return scopes.has(base);
}

/**
 * Whether `scopes` grant `base` on the user (or, with `server`, on that server of theirs);
 * `groups` are the user's groups, for `!group=` filters (see `hasGroupFilter`).
 */
export function allows(
  scopes: ReadonlySet<string>,
  base: string,
  user: string,
  server?: string,
  groups: readonly string[] = [],
): boolean {
  if (scopes.has(base) || scopes.has(`${base}!user=${user}`)) return true;
  if (server !== undefined && scopes.has(`${base}!server=${user}/${server}`)) return true;
  return groups.some((g) => scopes.has(`${base}!group=${g}`));
}

/** Whether `scopes` hold `base` through a group filter (so the target's groups matter). */
export function hasGroupFilter(scopes: ReadonlySet<string>, base: string): boolean {
  const prefix = `${base}!group=`;
  for (const s of scopes) if (s.startsWith(prefix)) return true;
  return false;
}

/** Whether any raw scope has a group filter (so the owner's groups must be read). */
export function mentionsGroups(raw: Iterable<string>): boolean {
  for (const s of raw) if (s.includes('!group=')) return true;
  return false;
}

/**
 * THE rule for reaching a user's server through the proxy or forward-auth, as JupyterHub's
 * `access:servers`: the credential's effective scopes must cover that server (unfiltered,
 * `!user=`, `!server=` or, with the owner's `groups`, `!group=`). A session holds its owner's
 * rights: admins `access:servers` on everything, everyone `access:servers!user=<self>`.
 */
export function mayAccessServer(
  scopes: ReadonlySet<string>,
  ref: { readonly user: string; readonly server: string },
  groups: readonly string[] = [],
): boolean {
  return allows(scopes, 'access:servers', ref.user, ref.server, groups);
}

/** Whether `scopes` grant `base` on anything at all (to tell "narrowed" from "absent"). */
export function allowsAny(scopes: ReadonlySet<string>, base: string): boolean {
  for (const s of scopes) if (s === base || s.startsWith(`${base}!`)) return true;
  return false;
}
