/**
 * Host label → the server it belongs to, looked up for one identity: its own servers first,
 * and for admins everybody's. Labels are derived from (user, server) and never stored, so a
 * lookup recomputes them over the store's server records (a hash per record, cheap next to a
 * network round trip). Non-admins never scan other users' servers: for them a foreign host
 * and a host with no notebook are the same 403.
 */
import type { ServerRef } from '../backends/types.ts';
import type { Store } from '../store/types.ts';
import { notebookHostLabel } from './notebook-host.ts';

export interface LookupIdentity {
  readonly user: string;
  readonly userId: number;
  readonly admin: boolean;
}

export async function findServerByLabel(
  store: Pick<Store, 'listServers' | 'getUserById'>,
  label: string,
  identity: LookupIdentity,
): Promise<ServerRef | undefined> {
  const records = await store.listServers();
  for (const record of records) {
    if (record.userId !== identity.userId) continue;
    const ref = { user: identity.user, server: record.name };
    if (notebookHostLabel(ref) === label) return ref;
  }
  if (!identity.admin) return undefined;
  const names = new Map<number, string | undefined>();
  for (const record of records) {
    if (record.userId === identity.userId) continue;
    if (!names.has(record.userId)) {
      names.set(record.userId, (await store.getUserById(record.userId))?.name);
    }
    const user = names.get(record.userId);
    if (user === undefined) continue;
    const ref = { user, server: record.name };
    if (notebookHostLabel(ref) === label) return ref;
  }
  return undefined;
}
