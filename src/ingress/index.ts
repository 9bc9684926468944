/**
 * Ingress routing mode, assembled for the hub (src/hub/hub.ts): checks the configuration
 * once at start-up and builds the forward-auth routes. See forward-auth-route.ts for the
 * endpoints and docs/ingress-routing.md for the set-up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backend, Route, ServerRef } from '../backends/types.ts';
import { GanymedeError } from '../errors/ganymede-error.ts';
import type { Logger } from '../logging/logger.ts';
import { createActivityThrottle } from '../proxy/activity-throttle.ts';
import type { Identity } from '../proxy/types.ts';
import type { Store } from '../store/types.ts';
import { effectiveCookieDomain, type IngressRoutingConfig } from './config.ts';
import { createServerFinder, type LookupIdentity } from './find-server.ts';
import { createForwardAuthRoutes } from './forward-auth-route.ts';

export { ingressRoutingSchema, type IngressRoutingConfig } from './config.ts';
export { notebookHost, notebookHostLabel } from './notebook-host.ts';

export interface IngressRouting {
  readonly cookieDomain: string;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface IngressRoutingDeps {
  readonly config: IngressRoutingConfig;
  readonly publicUrl: string | undefined;
  readonly store: Store;
  authenticate(req: IncomingMessage): Promise<(LookupIdentity & Identity) | undefined>;
  groupsOf?(user: string): Promise<readonly string[]>;
  route(ref: ServerRef): Route | undefined;
  /** Its `find`: admins' lookups of other people's servers (find-server.ts). */
  readonly backend: Pick<Backend, 'find'>;
  /** Same throttle interval as the hub proxy's activity records. Default 60 000. */
  readonly activityIntervalMs?: number;
  readonly log: Logger;
}

export function createIngressRouting(deps: IngressRoutingDeps): IngressRouting {
  const cookie = effectiveCookieDomain(deps.config, deps.publicUrl);
  if ('problem' in cookie) {
    throw new GanymedeError('bad_request', `ingressRouting: ${cookie.problem}.`, {
      field: 'ingressRouting',
      detail: 'See docs/ingress-routing.md.',
    });
  }
  const { store, log } = deps;
  const finder = createServerFinder({ store, backend: deps.backend });
  const userIds = new Map<string, number>();
  const activity = createActivityThrottle({
    intervalMs: deps.activityIntervalMs ?? 60_000,
    now: Date.now,
    record: (ref, at) => {
      void (async () => {
        let id = userIds.get(ref.user);
        if (id === undefined) {
          id = (await store.getUser(ref.user))?.id;
          if (id !== undefined) userIds.set(ref.user, id);
        }
        if (id !== undefined) await store.recordActivity(id, ref.server, at);
      })().catch((e: unknown) => {
        log.warn({ err: e }, 'recording activity failed');
      });
    },
  });
  const handle = createForwardAuthRoutes({
    config: deps.config,
    // effectiveCookieDomain refused a missing public URL above.
    hubPublicUrl: deps.publicUrl ?? '',
    authenticate: (req) => deps.authenticate(req),
    ...(deps.groupsOf
      ? { groupsOf: (user: string) => deps.groupsOf?.(user) ?? Promise.resolve([]) }
      : {}),
    findServer: (label, identity) => finder.find(label, identity),
    route: (ref) => deps.route(ref),
    recordActivity: (ref) => {
      activity.touch(ref);
    },
    log,
  });
  return { cookieDomain: cookie.domain, handle };
}
