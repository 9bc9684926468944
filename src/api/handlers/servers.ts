/**
 * Starting and stopping a user's servers, with JupyterHub's answers: 201 started, 202 still
 * starting; 204 stopped, 202 still stopping; 400 when a start meets a running or stopping
 * server. A stop during a start cancels the start (the portal's Cancel button).
 *
 * Named servers (`/users/{name}/servers/{server_name}`): POST creates one (up to
 * `servers.maxPerUser`, else 400) or starts it again; DELETE stops it, and with
 * `{"remove": true}` also forgets it (its files are kept); an unknown name is a 404.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { checkServerName } from '../../servers/server-service.ts';
import type { User } from '../../store/types.ts';
import { findUserFor } from '../access.ts';
import { authenticate, readJson, type ApiContext, type ApiDeps } from '../context.ts';
import { startServerBody, stopServerBody } from '../schemas.ts';

const DEFAULT_SLOW_STOP_MS = 10_000;

/** The `server_name` path segment: a valid name, or a 400 naming the field. */
export function serverNameParam(c: ApiContext): string {
  const raw = c.req.param('server_name') ?? '';
  if (raw === '') {
    throw new GanymedeError('bad_request', 'Name the server.', { field: 'server_name' });
  }
  return checkServerName(raw, 'server_name');
}

export function noSuchServer(user: User, server: string): GanymedeError {
  return new GanymedeError('not_found', `${user.name} has no server named ${server}.`, {
    field: 'server_name',
  });
}

function label(user: User, server: string): string {
  return server === '' ? `${user.name}'s server` : `${user.name}'s server ${server}`;
}

async function start(
  c: ApiContext,
  deps: ApiDeps,
  user: User,
  server: string,
  profile: string | undefined,
): Promise<Response> {
  const status = await deps.servers.status(user, server);
  if (status.phase === 'starting') return c.body(null, 202);
  if (status.phase === 'stopping') {
    throw new GanymedeError('bad_request', `${label(user, server)} is stopping; try again soon.`);
  }
  if (status.phase === 'running') {
    throw new GanymedeError('bad_request', `${label(user, server)} is already running.`);
  }
  await deps.servers.start(user, server, profile);
  const after = await deps.servers.status(user, server);
  return c.body(null, after.phase === 'running' ? 201 : 202);
}

async function stop(c: ApiContext, deps: ApiDeps, user: User, server: string): Promise<Response> {
  const status = await deps.servers.status(user, server);
  if (status.phase === 'stopping') return c.body(null, 202);
  if (status.phase === 'stopped' || status.phase === 'failed') return c.body(null, 204);
  const stopping = deps.servers.stop(user, server);
  const controller = new AbortController();
  const slow = delay(deps.slowStopMs ?? DEFAULT_SLOW_STOP_MS, 'slow' as const, {
    signal: controller.signal,
  }).catch(() => 'cancelled' as const);
  try {
    const outcome = await Promise.race([stopping.then(() => 'stopped' as const), slow]);
    if (outcome === 'stopped') return c.body(null, 204);
  } finally {
    controller.abort();
  }
  stopping.catch((e: unknown) => {
    deps.log.warn({ err: e, user: user.name, server }, 'a slow stop failed');
  });
  return c.body(null, 202);
}

export async function startServer(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const options = await readJson(c, startServerBody);
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['servers'], '');
  return start(c, deps, user, '', options?.profile);
}

export async function stopServer(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const options = await readJson(c, stopServerBody);
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['delete:servers'], '');
  if (options?.remove) {
    throw new GanymedeError('bad_request', 'The default server cannot be removed.', {
      field: 'remove',
    });
  }
  return stop(c, deps, user, '');
}

/** Creates a named server (within servers.maxPerUser) or starts it again. */
export async function startNamedServer(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const options = await readJson(c, startServerBody);
  const caller = await authenticate(c, deps);
  const raw = c.req.param('server_name') ?? '';
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['servers'], raw);
  return start(c, deps, user, serverNameParam(c), options?.profile);
}

/** Stops a named server; `{"remove": true}` also forgets it, keeping its files. */
export async function stopNamedServer(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const options = await readJson(c, stopServerBody);
  const caller = await authenticate(c, deps);
  const raw = c.req.param('server_name') ?? '';
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['delete:servers'], raw);
  const server = serverNameParam(c);
  if (!(await deps.servers.has(user, server))) throw noSuchServer(user, server);
  if (!options?.remove) return stop(c, deps, user, server);
  await deps.servers.remove(user, server);
  return c.body(null, 204);
}
