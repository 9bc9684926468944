/**
 * Starting and stopping a user's server, with JupyterHub's answers: 201 started, 202 still
 * starting; 204 stopped, 202 still stopping; 400 when a start meets a running or stopping
 * server. A stop during a start cancels the start (the portal's Cancel button).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { findUserFor } from '../access.ts';
import { authenticate, readJson, type ApiContext, type ApiDeps } from '../context.ts';
import { startServerBody, stopServerBody } from '../schemas.ts';

const DEFAULT_SLOW_STOP_MS = 10_000;

function namedServersDisabled(): GanymedeError {
  return new GanymedeError('bad_request', 'Named servers are not enabled.', {
    field: 'server_name',
  });
}

export async function startServer(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const options = await readJson(c, startServerBody);
  const caller = await authenticate(c, deps);
  const user = await findUserFor(deps, caller, c.req.param('name') ?? '', ['servers'], '');
  const status = await deps.servers.status(user, '');
  if (status.phase === 'starting') return c.body(null, 202);
  if (status.phase === 'stopping') {
    throw new GanymedeError('bad_request', `${user.name}'s server is stopping; try again soon.`);
  }
  if (status.phase === 'running') {
    throw new GanymedeError('bad_request', `${user.name}'s server is already running.`);
  }
  await deps.servers.start(user, '', options?.profile);
  const after = await deps.servers.status(user, '');
  return c.body(null, after.phase === 'running' ? 201 : 202);
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
  const status = await deps.servers.status(user, '');
  if (status.phase === 'stopping') return c.body(null, 202);
  if (status.phase === 'stopped' || status.phase === 'failed') return c.body(null, 204);
  const stopping = deps.servers.stop(user, '');
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
    deps.log.warn({ err: e, user: user.name }, 'a slow stop failed');
  });
  return c.body(null, 202);
}

/** Named servers: the user must exist and be in reach; then JupyterHub's answer when off. */
export async function startNamedServer(c: ApiContext, deps: ApiDeps): Promise<Response> {
  await readJson(c, startServerBody);
  const caller = await authenticate(c, deps);
  const server = c.req.param('server_name') ?? '';
  await findUserFor(deps, caller, c.req.param('name') ?? '', ['servers'], server);
  throw namedServersDisabled();
}

export async function stopNamedServer(c: ApiContext, deps: ApiDeps): Promise<Response> {
  await readJson(c, stopServerBody);
  const caller = await authenticate(c, deps);
  const server = c.req.param('server_name') ?? '';
  await findUserFor(deps, caller, c.req.param('name') ?? '', ['delete:servers'], server);
  throw namedServersDisabled();
}
