/**
 * The backend contract: how the hub runs notebook servers. Two implementations share it:
 * `local/` (Jupyter processes on this machine) and `kubernetes/` (JupyterNotebook resources).
 *
 * Lifecycle rules every implementation keeps (tests in each backend prove them):
 * - `start` is idempotent: on a running server it returns the running status; while a start
 *   is already in flight it joins that start instead of launching a second server.
 * - `stop` is idempotent: stopping a stopped or unknown server resolves. It never deletes files.
 * - `delete` stops, then forgets the server; the user's files are kept unless
 *   `deleteStorage: true` is passed (an explicit choice, never a default). A named server's
 *   files are its own; the default server's storage may hold the user's other servers' too.
 * - `status` never throws for an unknown server: it answers `{ phase: 'stopped' }`.
 * - `progress` may be called before, during or after `start`: it replays the events of the
 *   current (or last) start from the beginning, then follows live ones, and ends after a
 *   `ready` or `failed` event. Called when nothing is starting, it yields the last terminal
 *   event (or nothing) and ends.
 * - After a hub crash or restart, `list` re-discovers servers that are still alive (the hub
 *   calls it once at start-up) so running notebooks survive hub restarts; servers that died
 *   meanwhile are reported `stopped`, with the reason in `message`.
 * - `route` is synchronous and cheap: the proxy calls it on every request.
 */
export interface ServerRef {
  /** Normalised user name (see src/names/user-names.ts). */
  readonly user: string;
  /** '' is the user's default server. */
  readonly server: string;
}

export type ServerPhase = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export interface ServerStatus {
  readonly phase: ServerPhase;
  /** Plain-language sentence for the end user ("The notebook server stopped unexpectedly."). */
  readonly message?: string;
  /** Technical detail for the operator and the folded-away part of the page (log tail). */
  readonly detail?: string;
  readonly profile?: string;
  readonly startedAt?: Date;
}

export interface ProgressEvent {
  /** 0..100 */
  readonly progress: number;
  /** Plain-language step ("Starting Jupyter"). */
  readonly message: string;
  readonly ready?: boolean;
  readonly failed?: boolean;
  readonly detail?: string;
}

/** Where the proxy sends a user's traffic. */
export interface Route {
  /** Upstream origin, e.g. `http://127.0.0.1:41234`. */
  readonly target: string;
  /** The server's own Jupyter token, injected by the proxy; never shown to the browser. */
  readonly token: string;
}

/**
 * What the server is told about the hub (JupyterHub's single-user environment,
 * src/notebook-spec/jupyterhub-env.ts). The API token is issued only when a backend really
 * launches a server (not when a start joins one in flight), once per launch.
 */
export interface HubConnection {
  /** The hub's base URL (`/`). */
  readonly hubBaseUrl: string;
  /** The hub's origin when servers have hosts of their own (ingress routing), else ''. */
  readonly hubHost: string;
  /** The hub's REST API as the server reaches it; unset: no API URL and no token. */
  readonly apiUrl: string | undefined;
  /** A new API token limited to this server (JupyterHub's `server` role). */
  issueApiToken(): Promise<string>;
}

export interface StartOptions {
  readonly profile: import('../config/schema.ts').Profile;
  /** URL path prefix the server must serve under, e.g. `/user/alice/` (percent-encoded). */
  readonly baseUrl: string;
  /** Unset: the server gets no JUPYTERHUB_* environment (backend tests). */
  readonly hub?: HubConnection;
}

export interface DeleteOptions {
  readonly deleteStorage?: boolean;
}

/** Which servers `Backend.find` answers for. */
export interface ServerFilter {
  readonly phases: readonly ServerPhase[];
  /** Only this user's servers (normalised name). */
  readonly user?: string;
}

export interface FoundServer {
  readonly ref: ServerRef;
  readonly status: ServerStatus;
}

export interface Backend {
  readonly kind: 'local' | 'kubernetes';
  start(ref: ServerRef, options: StartOptions): Promise<ServerStatus>;
  stop(ref: ServerRef): Promise<void>;
  delete(ref: ServerRef, options?: DeleteOptions): Promise<void>;
  status(ref: ServerRef): Promise<ServerStatus>;
  progress(ref: ServerRef): AsyncIterable<ProgressEvent>;
  list(): Promise<{ ref: ServerRef; status: ServerStatus }[]>;
  /**
   * The servers in one of `filter.phases` (one user's, when named), answered synchronously from
   * the backend's own source of truth (its watch caches or process table) through an index:
   * state filters in the API and the admin console, the culler and the metrics call it on
   * request paths, so it never scans more than the servers it returns.
   */
  find(filter: ServerFilter): FoundServer[];
  route(ref: ServerRef): Route | undefined;
  /** Release watchers and timers; running notebooks keep running. */
  close(): Promise<void>;
}
