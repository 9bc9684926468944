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

export function createApiApp(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  for (const route of apiRoutes) {
    const handler = (c: ApiContext) => route.handler(c, deps);
    app.on(route.method.toUpperCase(), honoPath(route.path), handler);
    // Mounted under /hub/api, '/' matches only `/hub/api`; clients ask for `/hub/api/` (the
    // idle culler does), which JupyterHub also answers (its route is `/api/?`).
    if (route.path === '/') app.on(route.method.toUpperCase(), '/:slash{/?}', handler);
  }
  return app;
}
