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
