/**
 * Assembles one hub process: store → auth → backend → server service → web app + proxy on
 * one node:http server. `/user/…` goes to the proxy (HTTP and WebSocket); `/health`,
 * `/ready` and `/metrics` to ops-routes.ts; everything else to the web app. The culler runs
 * in the process (in the leader replica only). Closing the hub never stops running
 * notebooks: they are adopted on next start (`servers.reconcile`).
 */
import { createActivityBatch } from './activity-batch.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { OUTAGE_GRACE_MS, createAuthService, type AuthService } from '../auth/auth-service.ts';
import { toleratingOutage } from '../health/readiness.ts';
import type { Backend } from '../backends/types.ts';
import type { Config } from '../config/schema.ts';
import { createCuller, type Culler } from '../culler/culler.ts';
import type { Logger } from '../logging/logger.ts';
import { createHubMetrics, type HubMetrics } from '../metrics/hub-metrics.ts';
import { withSpawnTiming } from '../metrics/timed-backend.ts';
import { createIngressRouting } from '../ingress/index.ts';
import { createProxy } from '../proxy/index.ts';
import { serverRoleScopes } from '../api/scopes.ts';
import {
  createServerService,
  serverBaseUrl,
  type ServerService,
} from '../servers/server-service.ts';
import type { Store } from '../store/types.ts';
import { createWebApp, SESSION_COOKIE } from '../web/app.ts';
import { withDemoBanner } from '../web/demo-banner.ts';
import { notRunningPage } from '../web/pages/home.ts';
import { spawnPendingUrl } from '../web/portal/hub-urls.ts';
import { hubApiUrl } from './connect-url.ts';
import { createOpsRoutes } from './ops-routes.ts';
import { createRequestIdentifier } from './request-identity.ts';
import { serverLogoutRedirect } from './server-logout.ts';

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
  /** Opens `/metrics` and nothing else (Prometheus' token; `GANYMEDE_METRICS_TOKEN`). */
  readonly metricsScrapeToken?: string | undefined;
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
  // Known once the hub listens (the port may be chosen then); no server starts before that.
  const serversReach: { apiUrl?: string | undefined } = {};
  const servers = createServerService({
    store,
    backend: withSpawnTiming(backend, metrics.observeSpawn),
    profiles: config.profiles,
    maxPerUser: config.servers.maxPerUser,
    ...(config.quotas ? { quotas: config.quotas } : {}),
    log,
    hub: {
      apiUrl: () => serversReach.apiUrl,
      // Notebooks on hosts of their own (ingress routing) link back to the hub's origin.
      hubHost:
        config.ingressRouting && config.hub.publicUrl ? new URL(config.hub.publicUrl).origin : '',
      issueServerToken: (user, serverName) =>
        auth.createServerToken(
          user.id,
          serverName,
          `Server at ${serverBaseUrl({ user: user.name, server: serverName })}`,
          serverRoleScopes(user.name, serverName),
        ),
      revokeServerTokens: async (userId, serverName) => {
        await auth.revokeServerTokens(userId, serverName);
      },
    },
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

  const identifyRequest = createRequestIdentifier(auth, store);
  // Asked only for credentials that hold access:servers through a !group= filter.
  const groupsOfUser = async (name: string): Promise<readonly string[]> => {
    const user = await store.getUser(name);
    return user === undefined ? [] : store.listUserGroups(user.id);
  };

  // Ingress routing mode (src/ingress): the cluster's ingress controller is the data path and
  // asks /hub/auth/forward; the session cookie then spans the notebook hosts.
  const ingressRouting =
    config.ingressRouting &&
    createIngressRouting({
      config: config.ingressRouting,
      publicUrl: config.hub.publicUrl,
      store,
      authenticate: (req) => identifyRequest(req),
      groupsOf: (name) => groupsOfUser(name),
      route: (ref) => backend.route(ref),
      backend,
      log,
    });

  const demo = config.auth.type === 'dummy';
  if (demo) {
    log.warn(
      { field: 'auth.type', host: config.hub.host, allowInsecure: config.auth.allowInsecure },
      'auth.type is dummy: anyone who reaches this hub can sign in with any user name; for load tests and demos only',
    );
  }
  const web = createWebApp({
    demoBanner: demo,
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
    groupsOf: (name) => groupsOfUser(name),
    route: (ref) => backend.route(ref),
    // Asked only when a named server is not running, so the store is not read per request.
    hasServer: async (ref) => {
      const user = await store.getUser(ref.user);
      return user !== undefined && (await servers.has(user, ref.server));
    },
    recordActivity: (ref, at) => {
      activity.add(ref.user, ref.server, at);
    },
    // A page asked of a server that is not serving: while it starts, follow the start and come
    // back (JupyterHub's UserUrlHandler does the same); otherwise the "not running" page, whose
    // Start link continues to this URL.
    onNoServer: (req, res, ref, identity) => {
      const url = req.url ?? '/';
      void (async () => {
        if ((await backend.status(ref)).phase === 'starting') {
          res.writeHead(303, {
            location: spawnPendingUrl(ref.user, ref.server, url),
            'cache-control': 'no-store',
          });
          res.end();
          return;
        }
        const body = await notRunningPage(identity, auth.xsrfToken(identity), ref, url);
        res.writeHead(503, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(demo ? withDemoBanner(body.toString()) : body.toString());
      })().catch((e: unknown) => {
        log.error({ err: e, ref }, 'answering for a server that is not running failed');
        if (!res.headersSent) res.writeHead(503);
        res.end();
      });
    },
    onUnauthenticated: (_req, res, next) => {
      res.writeHead(302, { location: `/hub/login?next=${encodeURIComponent(next)}` });
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
    metricsScrapeToken: deps.metricsScrapeToken,
    authenticate: (req) => identifyRequest(req),
    readinessChecks: {
      store: toleratingOutage(() => store.migrations(), {
        toleratedMs: OUTAGE_GRACE_MS,
        timeoutMs: 1500,
      }),
      backend: () => backend.list(),
    },
    log,
  });

  const server = createServer((req, res) => {
    const logout = req.url?.startsWith('/user/')
      ? serverLogoutRedirect(req.method, req.url)
      : undefined;
    if (logout !== undefined) {
      res.writeHead(302, { location: logout, 'cache-control': 'no-store' });
      res.end();
    } else if (req.url?.startsWith('/user/')) {
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
  serversReach.apiUrl = hubApiUrl({
    connectUrl: config.hub.connectUrl,
    publicUrl: config.hub.publicUrl,
    backend: backend.kind,
    listening: address,
  });
  if (serversReach.apiUrl === undefined) {
    log.warn(
      { field: 'hub.connectUrl' },
      'notebook servers get no JUPYTERHUB_API_URL or API token: set hub.connectUrl (or hub.publicUrl)',
    );
  }
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
