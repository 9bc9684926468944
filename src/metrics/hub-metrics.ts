/**
 * The hub's Prometheus metrics (text exposition format 0.0.4, via prom-client). One registry
 * per hub, never prom-client's global one, so two hubs in one process (tests) do not mix.
 *
 * Series (names follow https://prometheus.io/docs/practices/naming/):
 * - `ganymede_server_spawn_duration_seconds{profile,outcome}`: histogram, start → running
 *   (`success`) or → failed (`failure`); buckets as JupyterHub's spawn histogram.
 * - `ganymede_running_servers`: gauge, servers the backend reports running (`Backend.find`).
 * - `ganymede_active_users`: gauge, users with a running server and server activity in the
 *   last hour (the backend's running servers, then one store query for their activity).
 * - `ganymede_proxy_requests_total{code}`: counter, responses of `/user/…` by HTTP status.
 * - `ganymede_proxy_errors_total{code}`: counter, the 5xx among them.
 * - `ganymede_culls_total{reason}`: counter, servers the culler stopped (`idle`, `max-age`).
 * - Node's process metrics (`process_*`, `nodejs_*`) unless turned off.
 * Gauges read the backend's index and the store when scraped, never a whole table; every
 * replica reports the same numbers (they share the cluster and the database).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CullReason } from '../culler/decide.ts';
import type { Backend } from '../backends/types.ts';
import type { Store } from '../store/types.ts';

export type SpawnOutcome = 'success' | 'failure';

export interface HubMetrics {
  readonly registry: Registry;
  /** `Content-Type` of `render()`'s text. */
  readonly contentType: string;
  // Function-valued fields, not methods: they are handed around as callbacks.
  readonly observeSpawn: (profile: string, outcome: SpawnOutcome, seconds: number) => void;
  /** The proxy's hook: one call per response it sends for `/user/…`. */
  readonly proxyResponse: (status: number) => void;
  readonly cull: (reason: CullReason) => void;
  readonly render: () => Promise<string>;
}

export interface HubMetricsOptions {
  readonly store: Pick<Store, 'getUsersByName' | 'lastActivityOf'>;
  /** Its `find`: what runs. */
  readonly backend: Pick<Backend, 'find'>;
  /** Default `() => new Date()`: decides which users count as active. */
  readonly now?: () => Date;
  /** Node's process metrics. Default true. */
  readonly processMetrics?: boolean;
}

const ACTIVE_WINDOW_MS = 3_600_000;
// JupyterHub's SERVER_SPAWN_DURATION_SECONDS buckets (jupyterhub/metrics.py): spawns take
// from a second (local) to minutes (image pulls).
const SPAWN_BUCKETS = [0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 180, 300, 600];
const CULL_REASONS: readonly CullReason[] = ['idle', 'max-age'];

export function createHubMetrics(options: HubMetricsOptions): HubMetrics {
  const { store, backend } = options;
  const now = options.now ?? (() => new Date());
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const spawnDuration = new Histogram({
    name: 'ganymede_server_spawn_duration_seconds',
    help: 'Time from pressing Start to a running (or failed) notebook server',
    labelNames: ['profile', 'outcome'] as const,
    buckets: SPAWN_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'ganymede_running_servers',
    help: 'Notebook servers currently running',
    registers: [registry],
    collect() {
      this.set(backend.find({ phases: ['running'] }).length);
    },
  });
  new Gauge({
    name: 'ganymede_active_users',
    help: 'Users with a running server, used in the last hour',
    registers: [registry],
    async collect() {
      const since = now().getTime() - ACTIVE_WINDOW_MS;
      const names = [...new Set(backend.find({ phases: ['running'] }).map((s) => s.ref.user))];
      let active = 0;
      for (let i = 0; i < names.length; i += 500) {
        const users = await store.getUsersByName(names.slice(i, i + 500));
        const last = await store.lastActivityOf(users.map((u) => u.id));
        for (const at of last.values()) if (at.getTime() >= since) active++;
      }
      this.set(active);
    },
  });
  const proxyRequests = new Counter({
    name: 'ganymede_proxy_requests_total',
    help: 'Responses the proxy sent for /user/ requests, by HTTP status code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const proxyErrors = new Counter({
    name: 'ganymede_proxy_errors_total',
    help: 'Proxy responses with a 5xx status (upstream down, timeouts, hub errors)',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const culls = new Counter({
    name: 'ganymede_culls_total',
    help: 'Notebook servers stopped by the culler, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // Present from the start at 0, so rate() and alerts work before the first cull.
  for (const reason of CULL_REASONS) culls.inc({ reason }, 0);

  return {
    registry,
    contentType: registry.contentType,
    observeSpawn(profile, outcome, seconds) {
      spawnDuration.observe({ profile, outcome }, seconds);
    },
    proxyResponse(status) {
      const code = String(status);
      proxyRequests.inc({ code });
      if (status >= 500) proxyErrors.inc({ code });
    },
    cull(reason) {
      culls.inc({ reason });
    },
    render() {
      return registry.metrics();
    },
  };
}
