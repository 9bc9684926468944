/**
 * Our records as JupyterHub's JSON models. A field is included only when the caller holds a
 * scope that reveals it (as JupyterHub filters its models), so a narrow token sees less.
 */
import type { z } from 'zod';
import type { ServerPhase } from '../backends/types.ts';
import { userPathSegment } from '../names/user-names.ts';
import { isActivePhase, serverBaseUrl, type ServerState } from '../servers/server-service.ts';
import type { ApiToken, User } from '../store/types.ts';
import type { serverSchema, tokenSchema, userSchema } from './schemas.ts';
import { allows, rolesOf } from './scopes.ts';

export type ServerModel = z.output<typeof serverSchema>;
export type UserModel = z.output<typeof userSchema>;
export type TokenModel = z.output<typeof tokenSchema>;

/** One server as the API shows it: the server service's answer (backend phase, store facts). */
export type ServerView = ServerState;

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export const isActive = (v: ServerView) => isActivePhase(v.phase);
export const isReady = (v: ServerView) => v.phase === 'running';

function pendingOf(phase: ServerPhase): 'spawn' | 'stop' | null {
  if (phase === 'starting') return 'spawn';
  if (phase === 'stopping') return 'stop';
  return null;
}

export function progressUrl(userName: string, server: string): string {
  const user = userPathSegment(userName);
  return server
    ? `/hub/api/users/${user}/servers/${encodeURIComponent(server)}/progress`
    : `/hub/api/users/${user}/server/progress`;
}

export function serverModel(user: User, view: ServerView): ServerModel {
  const { name, phase } = view;
  return {
    name,
    full_name: `${user.name}/${name}`,
    ready: phase === 'running',
    stopped: !isActive(view),
    pending: pendingOf(phase),
    url: serverBaseUrl({ user: user.name, server: name }),
    full_url: null,
    progress_url: progressUrl(user.name, name),
    full_progress_url: null,
    started: iso(view.startedAt),
    last_activity: iso(view.lastActivity),
    state: null,
    user_options: { profile: view.profile ?? '' },
  };
}

export interface UserModelOptions {
  readonly includeStopped: boolean;
  readonly groups: readonly string[];
}

export function userModel(
  scopes: ReadonlySet<string>,
  user: User,
  views: readonly ServerView[],
  options: UserModelOptions,
): UserModel {
  const can = (scope: string) => allows(scopes, scope, user.name);
  const model: UserModel = { kind: 'user', name: user.name };
  const readUser = can('read:users');
  if (readUser || can('read:users:name') || can('read:servers')) model.admin = user.admin;
  if (readUser || can('read:users:groups')) model.groups = [...options.groups];
  if (readUser || can('read:users:activity')) {
    model.created = user.createdAt.toISOString();
    const times = views.flatMap((v) => (v.lastActivity ? [v.lastActivity] : []));
    model.last_activity = times.length
      ? new Date(Math.max(...times.map((t) => t.getTime()))).toISOString()
      : null;
  }
  if (can('read:roles:users')) model.roles = rolesOf(user);
  if (can('read:servers')) {
    const main = views.find((v) => v.name === '');
    model.server = main && isReady(main) ? serverBaseUrl({ user: user.name, server: '' }) : null;
    model.pending = main ? pendingOf(main.phase) : null;
    model.servers = Object.fromEntries(
      views
        .filter((v) => options.includeStopped || isActive(v))
        .map((v) => [v.name, serverModel(user, v)]),
    );
  }
  return model;
}

export function tokenId(token: { readonly id: number }): string {
  return `a${token.id}`;
}

/** `a12` → 12, as JupyterHub spells API token ids; anything else is no token. */
export function parseTokenId(raw: string): number | undefined {
  const m = /^a([0-9]{1,15})$/.exec(raw);
  return m ? Number(m[1]) : undefined;
}

export function tokenModel(user: User, token: ApiToken): TokenModel {
  return {
    kind: 'api_token',
    id: tokenId(token),
    user: user.name,
    note: token.note,
    scopes: [...token.scopes],
    roles: [],
    created: token.createdAt.toISOString(),
    last_activity: iso(token.lastUsedAt),
    expires_at: iso(token.expiresAt),
    session_id: null,
    oauth_client: 'JupyterHub',
  };
}
