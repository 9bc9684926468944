/**
 * Credentials for every request to the API server, applied the way client-node's
 * `KubeConfig.applyToHTTPSOptions` applies them (the user's authenticator: exec plugin, OIDC,
 * token file; then a static token, basic auth, impersonation), but per request rather than once:
 * the kubelet rewrites a projected service-account token before it expires (hourly by
 * default), and exec and OIDC credentials expire too. What cannot change while the process
 * runs (the cluster's CA, a client certificate from the kubeconfig, a static token) is worked
 * out once, so a request pays only for what may change.
 *
 * Token files are read by our own authenticator, not client-node's `FileAuth`: like client-go
 * (transport.NewCachedFileTokenSource and its reset on 401) it keeps a token for a minute and
 * reads the file again at once when the API server answers 401, and it is shared by every
 * KubeConfig that names the file, so a 401 seen by one request refreshes the watches' token too.
 */
import { readFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import { KubeConfig, type Cluster, type User } from '#kubernetes-client';

type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

/** The auth-provider name our loader (kube-config.ts) gives users whose token is in a file.
 * No client-node authenticator claims it, so `tokenFileAuthenticator` does. */
export const TOKEN_FILE_PROVIDER = 'ganymede-token-file';

/** client-go's period for re-reading a token file (NewCachedFileTokenSource). */
const TOKEN_FILE_PERIOD_MS = 60_000;

interface CachedToken {
  readonly token: Promise<string>;
  readonly readAt: number;
}

// Module-wide, keyed by path: the REST client and client-node's Watch (separate KubeConfig
// objects, separate authenticator instances) see the same token and the same resets.
const tokenFiles = new Map<string, CachedToken>();

function tokenFromFile(path: string): Promise<string> {
  const now = Date.now();
  const cached = tokenFiles.get(path);
  if (cached && now - cached.readAt < TOKEN_FILE_PERIOD_MS) return cached.token;
  const token = readFile(path, 'utf8').then((text) => {
    // A file written by hand often ends with a newline, which a header may not carry
    // (client-go trims too).
    const trimmed = text.trim();
    if (trimmed === '') throw new Error(`the token file ${path} is empty`);
    return trimmed;
  });
  tokenFiles.set(path, { token, readAt: now });
  // A failed read is not kept: the next request reads the file again.
  token.catch(() => {
    if (tokenFiles.get(path)?.token === token) tokenFiles.delete(path);
  });
  return token;
}

/** The token file of a user our loader rewrote, if it is one. */
export function tokenFileOf(user: User | null | undefined): string | undefined {
  const provider = user?.authProvider as { name?: unknown; config?: { path?: unknown } } | null;
  const path = provider?.name === TOKEN_FILE_PROVIDER ? provider.config?.path : undefined;
  return typeof path === 'string' ? path : undefined;
}

export const tokenFileAuthenticator: Authenticator = {
  isAuthProvider: (user) => tokenFileOf(user) !== undefined,
  async applyAuthentication(user, opts) {
    const path = tokenFileOf(user);
    if (path === undefined) return;
    const token = await tokenFromFile(path);
    const headers = (opts.headers ?? {}) as Record<string, string>;
    headers['Authorization'] = `Bearer ${token}`;
    opts.headers = headers;
  },
};

/**
 * The API server answered 401 to a request sent at `sentAt` (ms since the epoch) with this
 * KubeConfig's credentials: a token read from a file no later than that is forgotten, so the
 * next request (or watch) reads the file again. Anything else is left as client-node keeps it.
 */
export function credentialsRejected(kubeConfig: KubeConfig, sentAt: number): void {
  const path = tokenFileOf(kubeConfig.getCurrentUser());
  if (path === undefined) return;
  const cached = tokenFiles.get(path);
  if (cached && cached.readAt <= sentAt) tokenFiles.delete(path);
}

export type TlsOptions = Pick<
  RequestOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
>;

/** What authenticates one request. */
export interface RequestAuth {
  readonly headers: Readonly<Record<string, string>>;
  /** `user:password` (basic auth). */
  readonly auth?: string;
  /** A client certificate an exec plugin handed out; overrides the kubeconfig's. */
  readonly cert?: RequestOptions['cert'];
  readonly key?: RequestOptions['key'];
}

export interface RequestCredentials {
  /** Read once: the cluster's CA, server name, verification and the kubeconfig's client
   * certificate (files are not read again per request). */
  readonly tls: Readonly<TlsOptions>;
  /** The credentials for the next request. */
  forRequest(): Promise<RequestAuth>;
  /** A request sent at `sentAt` with `sent` was answered 401: forgets what may be stale and
   * resolves with different credentials worth one retry, or undefined when nothing changed. */
  rejected(sent: RequestAuth, sentAt: number): Promise<RequestAuth | undefined>;
}

const tlsKeys = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const satisfies readonly (keyof TlsOptions)[];

const userTlsKeys = new Set<string>(['certFile', 'keyFile', 'certData', 'keyData']);

/** The current cluster and user without their TLS material, so that applying them per
 * request reads no file and decodes no certificate; their auth-provider object is shared with
 * the original, so an OIDC refresh (which rewrites the id and refresh tokens there) is seen by
 * both. */
function authOnly(cluster: Cluster, user: User | null): KubeConfig {
  const view = new KubeConfig();
  view.addAuthenticator(tokenFileAuthenticator);
  const bare: User = user
    ? (Object.fromEntries(Object.entries(user).filter(([k]) => !userTlsKeys.has(k))) as User)
    : { name: 'anonymous' };
  view.loadFromClusterAndUser(
    { name: cluster.name, server: cluster.server, skipTLSVerify: cluster.skipTLSVerify },
    bare,
  );
  return view;
}

function authOf(options: RequestOptions): RequestAuth {
  return {
    headers: { ...(options.headers as Record<string, string> | undefined) },
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.cert ? { cert: options.cert } : {}),
    ...(options.key ? { key: options.key } : {}),
  };
}

function sameAuth(a: RequestAuth, b: RequestAuth): boolean {
  return (
    JSON.stringify(a.headers) === JSON.stringify(b.headers) &&
    a.auth === b.auth &&
    a.cert === b.cert &&
    a.key === b.key
  );
}

export async function requestCredentials(kubeConfig: KubeConfig): Promise<RequestCredentials> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const user = kubeConfig.getCurrentUser();
  const full: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(full);
  const tls: TlsOptions = {};
  for (const k of tlsKeys) {
    if (full[k] !== undefined) Object.assign(tls, { [k]: full[k] });
  }
  const view = authOnly(cluster, user);
  const apply = async (): Promise<RequestAuth> => {
    const options: RequestOptions = {};
    await view.applyToHTTPSOptions(options);
    return authOf(options);
  };
  // Only an exec plugin or an auth provider (OIDC, a token file, …) can answer differently
  // from one request to the next; a static token, basic auth or no user is worked out once.
  const changing = Boolean(user?.exec) || Boolean(user?.authProvider);
  const fixed = changing ? undefined : await apply();
  return {
    tls,
    forRequest: () => (fixed ? Promise.resolve(fixed) : apply()),
    async rejected(sent, sentAt) {
      if (fixed) return undefined;
      credentialsRejected(kubeConfig, sentAt);
      const fresh = await apply();
      return sameAuth(fresh, sent) ? undefined : fresh;
    },
  };
}
