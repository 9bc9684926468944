/** Shared by both stores: the SQL differs only in collation, the folding does not. */
import type { GroupWithMembers } from './types.ts';

/** Folds (group, member) rows, ordered by group, into groups with their distinct members. */
export function groupRows(
  rows: readonly { name: string; member: string | null }[],
): GroupWithMembers[] {
  const groups: { name: string; members: string[] }[] = [];
  for (const { name, member } of rows) {
    let last = groups.at(-1);
    if (last?.name !== name) {
      last = { name, members: [] };
      groups.push(last);
    }
    if (member !== null && last.members.at(-1) !== member) last.members.push(member);
  }
  return groups;
}

/**
 * Folds (user, group) rows into each user's group names, sorted by code point as both stores
 * sort them (SQLite's binary collation, PostgreSQL's "C").
 */
export function groupsByUser(
  rows: readonly { userId: number; name: string }[],
): Map<number, string[]> {
  const byUser = new Map<number, string[]>();
  for (const { userId, name } of rows) {
    const names = byUser.get(userId);
    if (names) names.push(name);
    else byUser.set(userId, [name]);
  }
  for (const names of byUser.values()) names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return byUser;
}
