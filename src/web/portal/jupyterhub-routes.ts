/**
 * JupyterHub's page URLs, so links written for JupyterHub work unchanged (decisions in
 * hub-urls.ts; behaviour as JupyterHub 5's pages.py and base.py):
 *
 *   GET  /hub/                                  → /hub/home
 *   GET  /hub/spawn[/<user>[/<server>]]          start when there is nothing to choose, else the
 *   POST /hub/spawn/<user>[/<server>]            environment choice; then the pending page, then
 *                                                `next` (else the server)
 *   GET  /hub/spawn-pending/<user>[/<server>]    progress, then `next`
 *   GET  /hub/user-redirect/<path>              → /hub/spawn/<me>?next=/user/<me>/<path>?<query>
 *   GET  /hub/user/<name>/<path>                → /user/<name>/<path> (the proxy takes it on)
 *
 * A GET that starts a server is JupyterHub's documented behaviour (that is what makes
 * user-redirect and nbgitpuller links work); it only ever starts the person's own server in an
 * environment they may use, or someone's server for an administrator, as JupyterHub's
 * `servers` scope allows. Everyone else gets 403 before anything is looked up.
 */
import { Hono } from 'hono';
import type { Identity } from '../../auth/auth-service.ts';
import { progressUrl } from '../../api/models.ts';
import { GanymedeError, isGanymedeError } from '../../errors/ganymede-error.ts';
import { normalizeUserName } from '../../names/user-names.ts';
import {
  checkServerName,
  serverBaseUrl,
  type ServerService,
} from '../../servers/server-service.ts';
import type { Store, User } from '../../store/types.ts';
import { notRunningPage, pendingPage } from '../pages/home.ts';
import { spawnChoicePage, stoppingPage } from '../pages/spawn.ts';
import { safeNext } from '../safe-next.ts';
import { text, type Guards, type WebContext, type WebEnv } from './guards.ts';
import {
  decideSpawn,
  requestedProfile,
  spawnPendingUrl,
  spawnUrl,
  userRedirectTarget,
} from './hub-urls.ts';

export interface JupyterHubRoutesDeps {
  readonly servers: ServerService;
  readonly store: Store;
  readonly guards: Guards;
}

export function createJupyterHubRoutes(deps: JupyterHubRoutesDeps): Hono<WebEnv> {
  const { servers, store, guards } = deps;
  const app = new Hono<WebEnv>();

  /**
   * The person whose server a URL names: oneself, or anyone for an administrator (JupyterHub's
   * admin role holds `servers` on every user). 403 for anyone else, before the name is looked
   * up, so nobody learns who exists.
   */
  async function ownerFor(identity: Identity, raw: string | undefined): Promise<User> {
    // Names in URLs are matched as at sign-in (`Alice` is alice), as JupyterHub normalises.
    const name = raw === undefined ? undefined : normalizeUserName(raw);
    if (name === undefined || name === identity.user) return guards.userOf(identity);
    if (!identity.admin) {
      throw new GanymedeError('forbidden', "You may not start or follow someone else's server.");
    }
    const user = await store.getUser(name);
    if (!user) throw new GanymedeError('not_found', `There is no user called "${name}".`);
    return user;
  }

  /** The `next` to carry on: only a safe one, else none (the default is the server itself). */
  function nextOf(c: WebContext): string | undefined {
    const next = c.req.query('next');
    if (next === undefined || next === '') return undefined;
    const safe = safeNext(next, '');
    return safe === '' ? undefined : safe;
  }

  /** A named server in a URL must exist to be followed; starting one may create it. */
  async function existing(user: User, server: string): Promise<void> {
    if (!(await servers.has(user, server))) {
      throw new GanymedeError('not_found', `${user.name} has no server called "${server}".`, {
        field: 'server',
      });
    }
  }

  app.get('/hub/', (c) => c.redirect('/hub/home'));

  const spawnGet = async (c: WebContext) => {
    const identity = guards.signedIn(c);
    const user = await ownerFor(identity, c.req.param('user'));
    const server = checkServerName(c.req.param('server') ?? '');
    const next = nextOf(c);
    const [state, allowed] = await Promise.all([
      servers.state(user, server),
      servers.profilesFor(user),
    ]);
    const step = decideSpawn({
      phase: state.phase,
      allowed: allowed.map((p) => p.name),
      namedWithProfile: server !== '' && state.recorded && state.profile !== undefined,
      requested: requestedProfile(new URL(c.req.url).searchParams),
    });
    switch (step.kind) {
      case 'open':
        return c.redirect(next ?? serverBaseUrl({ user: user.name, server }));
      case 'follow':
        return c.redirect(spawnPendingUrl(user.name, server, next));
      case 'wait':
        c.header('cache-control', 'no-store');
        return c.html(stoppingPage(identity, guards.xsrf(identity), user.name, server));
      case 'start':
        await servers.start(user, server, step.profile);
        return c.redirect(spawnPendingUrl(user.name, server, next));
      case 'choose':
        c.header('cache-control', 'no-store');
        return c.html(
          spawnChoicePage({
            identity,
            xsrf: guards.xsrf(identity),
            user: user.name,
            server,
            action: spawnUrl(user.name, server, next),
            profiles: allowed,
            lastProfile: state.profile,
          }),
        );
    }
  };
  app.get('/hub/spawn', spawnGet);
  app.get('/hub/spawn/:user', spawnGet);
  app.get('/hub/spawn/:user/:server', spawnGet);

  // The choice form of spawnGet posts here (JupyterHub's SpawnHandler.post).
  const spawnPost = async (c: WebContext) => {
    const { identity, form } = await guards.form(c);
    const user = await ownerFor(identity, c.req.param('user'));
    const server = checkServerName(c.req.param('server') ?? '');
    const profile = text(form, 'profile');
    try {
      await servers.start(user, server, profile === '' ? undefined : profile);
    } catch (e) {
      // A quota's refusal is told on this page, where Start was pressed, the choice kept.
      if (!isGanymedeError(e) || e.code !== 'too_many_requests') throw e;
      const [state, allowed] = await Promise.all([
        servers.state(user, server),
        servers.profilesFor(user),
      ]);
      const next = nextOf(c);
      return c.html(
        spawnChoicePage({
          identity,
          xsrf: guards.xsrf(identity),
          user: user.name,
          server,
          action: spawnUrl(user.name, server, next),
          profiles: allowed,
          lastProfile: profile === '' ? state.profile : profile,
          problem: e.userMessage,
        }),
        429,
      );
    }
    return c.redirect(spawnPendingUrl(user.name, server, nextOf(c)));
  };
  app.post('/hub/spawn/:user', spawnPost);
  app.post('/hub/spawn/:user/:server', spawnPost);

  // Never starts anything (JupyterHub's SpawnPendingHandler): progress while starting, the
  // server (or `next`) once it runs, the "not running" page with its start link otherwise.
  const pending = async (c: WebContext) => {
    const identity = guards.signedIn(c);
    const user = await ownerFor(identity, c.req.param('user'));
    const server = checkServerName(c.req.param('server') ?? '');
    await existing(user, server);
    const next = nextOf(c);
    const base = serverBaseUrl({ user: user.name, server });
    const state = await servers.state(user, server);
    if (state.phase === 'running') return c.redirect(next ?? base);
    c.header('cache-control', 'no-store');
    const xsrf = guards.xsrf(identity);
    if (state.phase === 'stopped') {
      return c.html(
        notRunningPage(identity, xsrf, { user: user.name, server }, next ?? `${base}lab`),
      );
    }
    const profile = servers.profiles.find((p) => p.name === state.profile);
    const [estimateMs, allowed] = await Promise.all([
      profile ? servers.startEstimate(profile.name) : undefined,
      servers.profilesFor(user),
    ]);
    return c.html(
      pendingPage({
        identity,
        xsrf,
        server,
        eventsUrl: progressUrl(user.name, server),
        next: next ?? `${base}lab`,
        profile,
        estimateMs,
        profileCount: allowed.length,
        own: user.name === identity.user,
        user: user.name,
      }),
    );
  };
  app.get('/hub/spawn-pending/:user', pending);
  app.get('/hub/spawn-pending/:user/:server', pending);

  app.get('/hub/user-redirect/*', (c) => {
    const identity = guards.signedIn(c);
    const url = new URL(c.req.url);
    const rest = url.pathname.slice('/hub/user-redirect/'.length);
    const target = userRedirectTarget(identity.user, rest, url.search);
    if (target === undefined) {
      throw new GanymedeError('bad_request', 'This link points outside your server.', {
        field: 'path',
      });
    }
    return c.redirect(target);
  });

  // JupyterHub's proxy hands requests for stopped servers to /hub/user/…; links to that form
  // exist. Here the proxy itself answers /user/…, so this only strips the /hub prefix.
  app.get('/hub/user/*', (c) => {
    const url = new URL(c.req.url);
    return c.redirect(safeNext(`${url.pathname.slice('/hub'.length)}${url.search}`));
  });

  return app;
}
