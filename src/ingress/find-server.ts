/**
 * Host label → the server it belongs to, looked up for one identity on every forward-auth
 * request, so it never reads a whole table:
 *
 * - the identity's own servers: the default server's label is computed from the name alone;
 *   named ones from the identity's rows (`listServersOf`, one indexed query, at most
 *   `servers.maxPerUser` rows);
 * - for admins, other people's servers: those the backend knows (`Backend.find`, its index of
 *   starting, running and stopping servers), through a label → server cache. Labels are
 *   derived from (user, server) and never change, so a cached pair is never wrong; whether
 *   the server still runs is the route's business.
 *
 * Non-admins never look at other users' servers: for them a foreign host and a host with no
 * notebook are the same 403. An admin's 403 for another person's stopped server is the same
 * as the controller's 503 would have been: there is nothing to reach.
 */
import type { Backend, ServerRef } from '../backends/types.ts';
import type { Store } from '../store/types.ts';
import { notebookHostLabel } from './notebook-host.ts';

export interface LookupIdentity {
  readonly user: string;
  readonly userId: number;
  readonly admin: boolean;
}

export interface ServerFinder {
  find(label: string, identity: LookupIdentity): Promise<ServerRef | undefined>;
}

const LIVE = ['starting', 'running', 'stopping'] as const;

/** Labels kept for admins' lookups; past this the cache starts over (a bounded memory). */
const MAX_CACHED_LABELS = 20_000;

export function createServerFinder(deps: {
  readonly store: Pick<Store, 'listServersOf'>;
  readonly backend: Pick<Backend, 'find'>;
}): ServerFinder {
  const labels = new Map<string, ServerRef>();

  function remember(ref: ServerRef): string {
    const label = notebookHostLabel(ref);
    if (labels.size >= MAX_CACHED_LABELS) labels.clear();
    labels.set(label, ref);
    return label;
  }

  /** Another person's server the backend knows under this label, for admins. */
  function othersServer(label: string, identity: LookupIdentity): ServerRef | undefined {
    const cached = labels.get(label);
    if (cached) {
      if (cached.user === identity.user) return undefined;
      const live = deps.backend.find({ phases: LIVE, user: cached.user });
      return live.some((s) => s.ref.server === cached.server) ? cached : undefined;
    }
    // A label not seen yet: one pass over the live servers, remembering every label.
    for (const { ref } of deps.backend.find({ phases: LIVE })) {
      if (remember(ref) === label && ref.user !== identity.user) return ref;
    }
    return undefined;
  }

  return {
    async find(label, identity) {
      const own: ServerRef = { user: identity.user, server: '' };
      if (notebookHostLabel(own) === label) return own;
      for (const record of await deps.store.listServersOf([identity.userId])) {
        const ref = { user: identity.user, server: record.name };
        if (record.name !== '' && notebookHostLabel(ref) === label) return ref;
      }
      return identity.admin ? othersServer(label, identity) : undefined;
    },
  };
}
