/**
 * The REST API under /hub/api, compatible with JupyterHub's for what Ganymede supports. Mounted
 * by the web app (`app.route('/hub/api', createApiApp(deps))`), whose middleware identifies the
 * caller and whose one error handler turns GanymedeError into `{status, message, field?}`.
 */
import { Hono } from 'hono';
import type { ApiContext, ApiDeps, ApiEnv } from './context.ts';
import { honoPath } from './route.ts';
import { apiRoutes } from './routes.ts';

export type { ApiDeps } from './context.ts';
export { apiRoutes, openApiDocument } from './routes.ts';
export { XSRF_HEADER } from './context.ts';

/**
 * Other spellings JupyterHub answers for the same operation (served, not documented):
 * - Mounted under /hub/api, '/' matches only `/hub/api`; clients ask for `/hub/api/` (the idle
 *   culler does), which JupyterHub also answers (its route is `/api/?`).
 * - JupyterHub's named-server routes take an empty name (`servers/([^/]*)`) as the default
 *   server, and its guide "Starting servers with the JupyterHub API" stops the default server
 *   with `DELETE /users/{name}/servers/` (server_name `''`).
 */
export const PATH_ALIASES: Readonly<Record<string, readonly string[]>> = {
  '/': ['/:slash{/?}'],
  '/users/{name}/server': ['/users/:name/servers/'],
  '/users/{name}/server/progress': ['/users/:name/servers//progress'],
};

export function createApiApp(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  for (const route of apiRoutes) {
    const handler = (c: ApiContext) => route.handler(c, deps);
    for (const path of [honoPath(route.path), ...(PATH_ALIASES[route.path] ?? [])]) {
      app.on(route.method.toUpperCase(), path, handler);
    }
  }
  return app;
}
