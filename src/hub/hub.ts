/**
 * Assembles one hub process: store → auth → backend → server service → web app + proxy on
 * one node:http server. `/user/…` goes to the proxy (HTTP and WebSocket); `/health`,
 * `/ready` and `/metrics` to ops-routes.ts; everything else to the web app. The culler runs
 * in the process (in the leader replica only). Closing the hub never stops running
 * notebooks: they are adopted on next start (`servers.reconcile`).
 */
import { createActivityBatch } from './activity-batch.ts';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createAuthService, type AuthService } from '../auth/auth-service.ts';
import type { Backend } from '../backends/types.ts';
import type { Config } from '../config/schema.ts';
import { createCuller, type Culler } from '../culler/culler.ts';
import type { Logger } from '../logging/logger.ts';
import { createHubMetrics, type HubMetrics } from '../metrics/hub-metrics.ts';
import { withSpawnTiming } from '../metrics/timed-backend.ts';
import { createIngressRouting } from '../ingress/index.ts';
import { createProxy } from '../proxy/index.ts';
import { createServerService, type ServerService } from '../servers/server-service.ts';
import type { Store } from '../store/types.ts';
import { createWebApp, identify, SESSION_COOKIE } from '../web/app.ts';
import { notRunningPage } from '../web/pages/home.ts';
import { readCookie } from './cookie.ts';
import { createOpsRoutes } from './ops-routes.ts';

export interface Hub {
  /** Base URL the hub listens on, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  readonly server: Server;
  readonly store: Store;
  readonly auth: AuthService;
  readonly backend: Backend;
  readonly servers: ServerService;
  readonly metrics: HubMetrics;
  readonly culler: Culler;
  close(): Promise<void>;
}

export interface HubDeps {
  readonly config: Config;
  readonly store: Store;
  readonly backend: Backend;
  readonly log: Logger;
  /** Password for the first admin; otherwise one is generated and printed once. */
  readonly adminPassword?: string | undefined;
  /** Where secrets named in the config are read (`auth.oidc.clientSecretEnv`). Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called once with the generated admin password (the CLI prints it). */
  readonly onAdminCreated?: (name: string, password: string | undefined) => void;
  /**
   * Whether this replica runs the culler's rounds; asked at every round. Default: always (one
   * replica). With several replicas, pass the leader-election check so exactly one culls.
   */
  readonly isLeader?: () => boolean;
}

export async function startHub(deps: HubDeps): Promise<Hub> {
  const { config, store, backend, log } = deps;
  const auth = createAuthService({ store, ...config.auth });
  const oidcConfig = config.auth.oidc;
  // Built before anything starts, so a missing client secret stops start-up with its fix.
  // openid-client is loaded only when OIDC is configured (a password-only hub need not carry
  // it for its whole life).
  const oidc = oidcConfig
    ? await import('../auth/oidc/oidc-sign-in.ts').then((m) =>
        m.createOidcSignIn({
          config: oidcConfig,
          clientSecret: m.oidcClientSecret(oidcConfig, deps.env ?? process.env),
          store,
          auth,
          bootstrapAdmin: config.auth.adminUser,
        }),
      )
    : undefined;
  const admin = await auth.ensureAdmin(config.auth.adminUser, deps.adminPassword);
  if (admin.created) deps.onAdminCreated?.(config.auth.adminUser, admin.password);

  const metrics = createHubMetrics({ store, backend });
  const servers = createServerService({
    store,
    backend: withSpawnTiming(backend, metrics.observeSpawn),
    profiles: config.profiles,
    maxPerUser: config.servers.maxPerUser,
    log,
  });
  await servers.reconcile();
  const culler = createCuller({
    store,
    servers,
    backend,
    settings: config.culler,
    log,
    onCull: metrics.cull,
    ...(deps.isLeader ? { isLeader: deps.isLeader } : {}),
  });

  // On /user/ paths an Authorization header is often not ours: JupyterLab sends its server's
  // own token with every request. A hub token wins; otherwise the session cookie decides.
  const identifyRequest = async (req: IncomingMessage) => {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    const byToken = req.headers.authorization
      ? await identify(auth, undefined, req.headers.authorization)
      : undefined;
    return byToken ?? (cookie === undefined ? undefined : auth.fromSession(cookie));
  };

  // Ingress routing mode (src/ingress): the cluster's ingress controller is the data path and
  // asks /hub/auth/forward; the session cookie then spans the notebook hosts.
  const ingressRouting =
    config.ingressRouting &&
    createIngressRouting({
      config: config.ingressRouting,
      publicUrl: config.hub.publicUrl,
      store,
      authenticate: identifyRequest,
      hasSessionCookie: (req) => readCookie(req.headers.cookie, SESSION_COOKIE) !== undefined,
      route: (ref) => backend.route(ref),
      backend,
      log,
    });

  const web = createWebApp({
    auth,
    servers,
    store,
    log,
    publicUrl: config.hub.publicUrl,
    sessionHours: config.auth.sessionHours,
    cookieDomain: ingressRouting?.cookieDomain,
    oidc,
  });
  const webListener = getRequestListener(web.fetch);

  const userIds = new Map<string, number>();
  const userIdOf = async (name: string): Promise<number | undefined> => {
    let id = userIds.get(name);
    if (id === undefined) {
      id = (await store.getUser(name))?.id;
      if (id !== undefined) userIds.set(name, id);
    }
    return id;
  };
  const activity = createActivityBatch({
    flushMs: 1000,
    userIdOf,
    write: (records) => store.recordActivities(records),
    onError: (e) => {
      log.warn({ err: e }, 'recording activity failed');
    },
  });
  const proxy = createProxy({
    authenticate: identifyRequest,
    route: (ref) => backend.route(ref),
    // Asked only when a named server is not running, so the store is not read per request.
    hasServer: async (ref) => {
      const user = await store.getUser(ref.user);
      return user !== undefined && (await servers.has(user, ref.server));
    },
    recordActivity: (ref, at) => {
      activity.add(ref.user, ref.server, at);
    },
    onNoServer: (req, res, ref, identity) => {
      const page = notRunningPage(identity, auth.xsrfToken(identity), ref, req.url ?? '/');
      void Promise.resolve(page).then((body) => {
        res.writeHead(503, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(body.toString());
      });
    },
    onUnauthenticated: (req, res) => {
      res.writeHead(302, { location: `/hub/login?next=${encodeURIComponent(req.url ?? '/')}` });
      res.end();
    },
    maxBodyBytes: config.hub.maxBodyBytes,
    sessionCookieName: SESSION_COOKIE,
    ...(config.hub.publicUrl ? { publicOrigin: new URL(config.hub.publicUrl).origin } : {}),
    log,
  });

  const opsRoutes = createOpsRoutes({
    metrics,
    metricsPublic: config.metrics.public,
    authenticate: identifyRequest,
    readinessChecks: { store: () => store.migrations(), backend: () => backend.list() },
    log,
  });

  const server = createServer((req, res) => {
    if (req.url?.startsWith('/user/')) {
      // Counted here rather than inside the proxy: every answer, whoever writes it.
      res.once('finish', () => {
        metrics.proxyResponse(res.statusCode);
      });
      proxy.handleRequest(req, res);
    } else if (!opsRoutes(req, res) && ingressRouting?.handle(req, res) !== true) {
      void webListener(req, res);
    }
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/user/')) proxy.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  // Idle keep-alive sockets from browsers must not hold the hub open on close.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.hub.port, config.hub.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url }, 'hub listening');
  culler.start();

  return {
    url,
    server,
    store,
    auth,
    backend,
    servers,
    metrics,
    culler,
    async close() {
      await culler.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await proxy.close();
      await activity.flush();
      await backend.close();
      await store.close();
    },
  };
}
