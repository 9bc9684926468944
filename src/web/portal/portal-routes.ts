/**
 * The portal for people who are not engineers: home (their server, one obvious action),
 * starting with progress and Cancel, personal API tokens, and the one-time link that lets an
 * invited person choose a password. Handlers: validate → authorise → service → respond.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthService } from '../../auth/auth-service.ts';
import { hashPassword } from '../../auth/passwords.ts';
import { hashSecret } from '../../auth/secrets.ts';
import { GanymedeError, isGanymedeError } from '../../errors/ganymede-error.ts';
import type { Logger } from '../../logging/logger.ts';
import { progressUrl } from '../../api/models.ts';
import {
  checkServerName,
  serverBaseUrl,
  type ServerService,
  type ServerState,
} from '../../servers/server-service.ts';
import type { Store, User } from '../../store/types.ts';
import { homePage, newServerPage, pendingPage, type NamedServerView } from '../pages/home.ts';
import { invalidInvitePage, invitePage } from '../pages/invite.ts';
import { TOKEN_LIFETIMES, tokensPage } from '../pages/tokens.ts';
import { safeNext } from '../safe-next.ts';
import { text, type Guards, type WebContext, type WebEnv } from './guards.ts';

export interface PortalDeps {
  readonly auth: AuthService;
  readonly servers: ServerService;
  readonly store: Store;
  readonly log: Logger;
  readonly guards: Guards;
  /** Sets the session cookie (app.ts owns its attributes). */
  readonly setSession: (c: WebContext, sessionId: string) => void;
  readonly now?: () => Date;
}

/** Messages after a redirect, by code: the query never carries text shown on the page. */
const notices: Record<string, string> = {
  stopped: 'Your server was stopped. Your files are kept.',
  cancelled: 'The start was cancelled. Your files are kept.',
  'server-stopped': 'The server was stopped. Its files are kept.',
  'server-cancelled': 'The start was cancelled. Its files are kept.',
  deleted: 'The server was deleted. Its files are kept.',
  'deleted-files': 'The server and its files were deleted.',
  revoked: 'The token was revoked. Programs using it can no longer sign in with it.',
};

const tokenForm = z.object({
  note: z.string().trim().min(1, 'Say what the token is for.').max(200),
  expires_days: z.coerce
    .number()
    .refine(
      (d) => TOKEN_LIFETIMES.some((l) => l.days === d),
      'Choose one of the listed lifetimes.',
    ),
});

export function createPortalRoutes(deps: PortalDeps): Hono<WebEnv> {
  const { auth, servers, store, log, guards } = deps;
  const now = deps.now ?? (() => new Date());
  const app = new Hono<WebEnv>();

  /** A named server of the user's, from a form or query: 404 when they have none so named. */
  async function existingServer(user: User, raw: string): Promise<string> {
    const name = checkServerName(raw);
    if (!(await servers.has(user, name))) {
      throw new GanymedeError('not_found', 'You have no server of that name.', {
        field: 'server',
      });
    }
    return name;
  }

  /** A server as the home page shows it, from the server service's one answer. */
  function viewOf(user: User, state: ServerState): NamedServerView {
    return {
      name: state.name,
      phase: state.phase,
      profile: servers.profiles.find((p) => p.name === state.profile),
      url: serverBaseUrl({ user: user.name, server: state.name }),
      startedAt: state.startedAt,
      lastActivity: state.lastActivity,
      message: state.message,
      detail: state.detail,
    };
  }

  async function home(c: WebContext, user: User, problem?: string) {
    const identity = guards.signedIn(c);
    const [main, all, profiles] = await Promise.all([
      servers.state(user, ''),
      servers.states(user),
      servers.profilesFor(user),
    ]);
    return homePage({
      identity,
      xsrf: guards.xsrf(identity),
      now: now(),
      server: viewOf(user, main),
      named: all.filter((s) => s.name !== '').map((s) => viewOf(user, s)),
      maxPerUser: servers.maxPerUser,
      profiles,
      lastProfile: main.profile,
      notice: notices[c.req.query('done') ?? ''],
      problem,
    });
  }

  async function newServer(c: WebContext, user: User, problem?: string) {
    const identity = guards.signedIn(c);
    const [mine, profiles] = await Promise.all([
      servers.serversOf(user),
      servers.profilesFor(user),
    ]);
    const named = mine.filter((s) => s.name !== '').length;
    return newServerPage({
      identity,
      xsrf: guards.xsrf(identity),
      profiles,
      room: 1 + named < servers.maxPerUser,
      maxPerUser: servers.maxPerUser,
      problem,
    });
  }

  app.get('/hub/home', async (c) => {
    const user = await guards.userOf(guards.signedIn(c));
    return c.html(await home(c, user));
  });

  app.get('/hub/servers/new', async (c) => {
    const user = await guards.userOf(guards.signedIn(c));
    return c.html(await newServer(c, user));
  });

  // Starts the default server, a named one again, or creates a named one (`server` is a new
  // name): the service enforces the name rule, servers.maxPerUser and the quotas. A start a
  // quota refuses is told on the page where Start was pressed (home, or the new server form).
  app.post('/hub/spawn', async (c) => {
    const { identity, form } = await guards.form(c);
    const user = await guards.userOf(identity);
    const server = checkServerName(text(form, 'server').trim());
    const profile = text(form, 'profile');
    const existed = await servers.has(user, server);
    try {
      await servers.start(user, server, profile === '' ? undefined : profile);
    } catch (e) {
      if (!isGanymedeError(e) || e.code !== 'too_many_requests') throw e;
      const page = existed
        ? await home(c, user, e.userMessage)
        : await newServer(c, user, e.userMessage);
      return c.html(page, 429);
    }
    const next = c.req.query('next');
    const query = new URLSearchParams();
    if (server !== '') query.set('server', server);
    if (next) query.set('next', safeNext(next));
    const qs = query.toString();
    return c.redirect(`/hub/spawn-pending${qs ? `?${qs}` : ''}`);
  });

  app.get('/hub/spawn-pending', async (c) => {
    const identity = guards.signedIn(c);
    const user = await guards.userOf(identity);
    const server = await existingServer(user, c.req.query('server') ?? '');
    const base = serverBaseUrl({ user: user.name, server });
    const record = await store.getServer(user.id, server);
    const profile = servers.profiles.find((p) => p.name === record?.profile);
    const [estimateMs, allowed] = await Promise.all([
      profile ? servers.startEstimate(profile.name) : undefined,
      servers.profilesFor(user),
    ]);
    c.header('cache-control', 'no-store');
    return c.html(
      pendingPage({
        identity,
        xsrf: guards.xsrf(identity),
        server,
        eventsUrl: progressUrl(user.name, server),
        next: safeNext(c.req.query('next'), `${base}lab`),
        profile,
        estimateMs,
        profileCount: allowed.length,
      }),
    );
  });

  app.post('/hub/stop', async (c) => {
    const { identity, form } = await guards.form(c);
    const user = await guards.userOf(identity);
    const server = await existingServer(user, text(form, 'server'));
    await servers.stop(user, server);
    const cancel = text(form, 'cancel') === '1';
    const done =
      server === ''
        ? cancel
          ? 'cancelled'
          : 'stopped'
        : cancel
          ? 'server-cancelled'
          : 'server-stopped';
    return c.redirect(`/hub/home?done=${done}`);
  });

  // Deletes a named server: its files are kept unless the person ticked the box.
  app.post('/hub/delete', async (c) => {
    const { identity, form } = await guards.form(c);
    const user = await guards.userOf(identity);
    const server = await existingServer(user, text(form, 'server'));
    if (server === '') {
      throw new GanymedeError('bad_request', 'Your default server cannot be deleted.', {
        field: 'server',
      });
    }
    const deleteStorage = text(form, 'delete_files') === '1';
    await servers.remove(user, server, { deleteStorage });
    return c.redirect(`/hub/home?done=${deleteStorage ? 'deleted-files' : 'deleted'}`);
  });

  const showTokens = async (
    c: WebContext,
    extra: { created?: { token: string; note: string }; notice?: string | undefined } = {},
  ) => {
    const identity = guards.signedIn(c);
    const at = now();
    const tokens = (await store.listApiTokens(identity.userId)).filter(
      (t) => !t.expiresAt || t.expiresAt > at,
    );
    c.header('cache-control', 'no-store');
    return c.html(
      tokensPage({ identity, xsrf: guards.xsrf(identity), now: at, tokens, ...extra }),
      extra.created ? 201 : 200,
    );
  };

  app.get('/hub/token', (c) => showTokens(c, { notice: notices[c.req.query('done') ?? ''] }));

  app.post('/hub/token', async (c) => {
    const { identity, form } = await guards.form(c);
    const parsed = tokenForm.safeParse({
      note: text(form, 'note'),
      expires_days: text(form, 'expires_days'),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GanymedeError('bad_request', issue?.message ?? 'Check the form.', {
        field: String(issue?.path[0] ?? 'note'),
      });
    }
    const { note, expires_days: days } = parsed.data;
    const { token } = await auth.createToken(identity.userId, note, {
      expiresAt: days > 0 ? new Date(now().getTime() + days * 86_400_000) : null,
    });
    log.info({ user: identity.user }, 'created an API token in the portal');
    // Rendered, not redirected: the secret exists only in this response.
    return showTokens(c, { created: { token, note } });
  });

  app.post('/hub/token/revoke', async (c) => {
    const { identity, form } = await guards.form(c);
    const id = Number(text(form, 'id'));
    if (!Number.isSafeInteger(id) || !(await store.deleteApiToken(identity.userId, id))) {
      throw new GanymedeError('not_found', 'There is no such token.', { field: 'id' });
    }
    auth.forget(); // a revoked token must not live on in this replica's identity cache
    return c.redirect('/hub/token?done=revoked');
  });

  // The link's secret is the credential: only its hash is stored, it works once (the POST
  // takes it in one statement) and expires. GET only shows the form, so a link preview or
  // scanner opening the URL does not use it up.
  app.get('/hub/invite/:secret', async (c) => {
    const invite = await store.getInvite(hashSecret(c.req.param('secret')), now());
    const user = invite && (await store.getUserById(invite.userId));
    c.header('cache-control', 'no-store');
    if (!user) return c.html(invalidInvitePage(), 404);
    return c.html(invitePage(user.name, c.req.path, c.get('xsrf')));
  });

  app.post('/hub/invite/:secret', async (c) => {
    const hash = hashSecret(c.req.param('secret'));
    const invite = await store.getInvite(hash, now());
    const user = invite && (await store.getUserById(invite.userId));
    if (!user) return c.html(invalidInvitePage(), 404);
    const form = await c.req.parseBody();
    const password = typeof form['password'] === 'string' ? form['password'] : '';
    const problem =
      password.length < 8 || password.length > 1024
        ? 'Passwords are 8 to 1024 characters.'
        : password !== form['confirm']
          ? 'The two passwords are not the same.'
          : undefined;
    if (problem) {
      const sent = form['_xsrf'];
      return c.html(
        invitePage(user.name, c.req.path, typeof sent === 'string' ? sent : undefined, problem),
        400,
      );
    }
    const userId = await store.takeInvite(hash, now());
    if (userId !== user.id) return c.html(invalidInvitePage(), 404);
    await store.setPasswordHash(user.id, await hashPassword(password));
    await store.deleteUserSessions(user.id);
    auth.forget();
    const { sessionId } = await auth.openSession(user);
    deps.setSession(c, sessionId);
    log.info({ user: user.name }, 'password set through a one-time link');
    return c.redirect('/hub/home');
  });

  return app;
}
