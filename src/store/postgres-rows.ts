/**
 * Rows as node-postgres returns them, and their mapping to the Store's types. Timestamps are
 * `BIGINT` milliseconds (see migrations.ts), which pg returns as strings because int8 can
 * exceed 2^53; millisecond times never do, so `Number` is exact.
 */
import type {
  ApiToken,
  Invite,
  RunOutcome,
  ServerRecord,
  ServerRun,
  Session,
  User,
} from './types.ts';

type Int8 = string;

export interface UserRow {
  id: number;
  name: string;
  admin: boolean;
  password_hash: string | null;
  created_at: Int8;
}

export interface SessionRow {
  id_hash: string;
  user_id: number;
  created_at: Int8;
  expires_at: Int8;
}

export interface TokenRow {
  id: number;
  user_id: number;
  hash: string;
  note: string;
  scopes: string;
  created_at: Int8;
  expires_at: Int8 | null;
  last_used_at: Int8 | null;
  server_name: string | null;
}

export interface ServerRow {
  user_id: number;
  name: string;
  profile: string;
  created_at: Int8;
  last_activity: Int8 | null;
}

export const ms = (d: Date | null): number | null => (d ? d.getTime() : null);
const date = (v: Int8): Date => new Date(Number(v));
const optionalDate = (v: Int8 | null): Date | null => (v === null ? null : date(v));

export const toUser = (r: UserRow): User => ({
  id: r.id,
  name: r.name,
  admin: r.admin,
  passwordHash: r.password_hash,
  createdAt: date(r.created_at),
});

export const toSession = (r: SessionRow): Session => ({
  idHash: r.id_hash,
  userId: r.user_id,
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
});

export const toToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  userId: r.user_id,
  hash: r.hash,
  note: r.note,
  scopes: JSON.parse(r.scopes) as string[],
  createdAt: date(r.created_at),
  expiresAt: optionalDate(r.expires_at),
  lastUsedAt: optionalDate(r.last_used_at),
  serverName: r.server_name,
});

export const toServer = (r: ServerRow): ServerRecord => ({
  userId: r.user_id,
  name: r.name,
  profile: r.profile,
  createdAt: date(r.created_at),
  lastActivity: optionalDate(r.last_activity),
});

export interface RunRow {
  id: number;
  user_id: number;
  server_name: string;
  profile: string;
  requested_at: Int8;
  ready_at: Int8 | null;
  ended_at: Int8 | null;
  outcome: string | null;
  message: string | null;
}

export const toRun = (r: RunRow): ServerRun => ({
  id: r.id,
  userId: r.user_id,
  serverName: r.server_name,
  profile: r.profile,
  requestedAt: date(r.requested_at),
  readyAt: optionalDate(r.ready_at),
  endedAt: optionalDate(r.ended_at),
  outcome: r.outcome as RunOutcome | null,
  message: r.message,
});

export interface InviteRow {
  hash: string;
  user_id: number;
  created_at: Int8;
  expires_at: Int8;
}

export const toInvite = (r: InviteRow): Invite => ({
  hash: r.hash,
  userId: r.user_id,
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
});
