/**
 * A small JSON client for the Kubernetes API, on node:https with the credentials of a
 * client-node `KubeConfig`. Written instead of using client-node's typed APIs because those
 * (de)serialise through model classes that rename fields and turn times into `Date`s, while
 * the operator sends the builders' plain objects as they are, as server-side apply needs
 * (https://kubernetes.io/docs/reference/using-api/server-side-apply/).
 */
import { Agent, request } from 'node:https';
import type { KubeConfig } from '#kubernetes-client';
import type { KubeObject } from '../plain.ts';
import { requestCredentials, type RequestAuth } from './credentials.ts';
import { KubeApiError, KubeApiTimeoutError } from './errors.ts';
import { isClusterUnreachable } from './unreachable.ts';
import { objectPath, type KindRef } from './resource-paths.ts';

export { KubeApiError, KubeApiTimeoutError };

/** How long a request may go without a byte either way before it is given up. */
export const REQUEST_SILENCE_MS = 30_000;

export interface KubeApiOptions {
  /** Default `REQUEST_SILENCE_MS`. */
  readonly timeoutMs?: number;
}

export interface KubeList<T> {
  readonly items: T[];
  readonly metadata: { readonly resourceVersion?: string };
}

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  /** Answer text as is (pod logs) instead of parsing JSON. */
  readonly text?: boolean;
}

export interface KubeApi {
  request(spec: RequestSpec): Promise<unknown>;
  /** undefined on 404. */
  get<T>(ref: KindRef, namespace: string, name: string): Promise<T | undefined>;
  list<T>(path: string, query?: Readonly<Record<string, string | undefined>>): Promise<KubeList<T>>;
  /** Server-side apply under `fieldManager`, taking over fields another manager set (force). */
  apply<T extends KubeObject>(
    object: T,
    fieldManager: string,
    options?: { dryRun?: boolean },
  ): Promise<T>;
  /** Server-side apply of the status subresource. */
  applyStatus(object: KubeObject & { status: unknown }, fieldManager: string): Promise<unknown>;
  /** POST; resolves 'exists' on 409 AlreadyExists. */
  create(object: KubeObject, fieldManager: string): Promise<'created' | 'exists'>;
  /**
   * Calls `listener` once, at the first answer after a request the cluster did not answer
   * (`isClusterUnreachable`): the API server is back. Returns the listener's removal. Whoever
   * waits out a backoff (an informer after a long outage waits up to 30 s) retries then rather
   * than when its timer ends; the Lease's renewals, every 2 s, are what notices first.
   */
  onRecovered(listener: () => void): () => void;
  close(): void;
}

function refOf(object: KubeObject): { ref: KindRef; namespace: string; name: string } {
  const { apiVersion, kind, metadata } = object;
  if (!apiVersion || !kind || !metadata?.name || !metadata.namespace) {
    throw new Error('object needs apiVersion, kind, metadata.name and metadata.namespace');
  }
  return { ref: { apiVersion, kind }, namespace: metadata.namespace, name: metadata.name };
}

export async function createKubeApi(
  kubeConfig: KubeConfig,
  options: KubeApiOptions = {},
): Promise<KubeApi> {
  const timeoutMs = options.timeoutMs ?? REQUEST_SILENCE_MS;
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const server = new URL(cluster.server);
  // Applied to every request (credentials.ts): a rotated service-account token, an exec
  // plugin's or an OIDC token must not stop working when the first one expires.
  const credentials = await requestCredentials(kubeConfig);
  // Keep-alive: a reconcile makes several requests in a row to the same server.
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  const sendWith = (spec: RequestSpec, auth: RequestAuth): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const url = new URL(spec.path, server);
      for (const [k, v] of Object.entries(spec.query ?? {})) {
        if (v !== undefined) url.searchParams.set(k, v);
      }
      const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
      const req = request(
        url,
        {
          ...credentials.tls,
          ...(auth.cert === undefined ? {} : { cert: auth.cert }),
          ...(auth.key === undefined ? {} : { key: auth.key }),
          ...(auth.auth === undefined ? {} : { auth: auth.auth }),
          agent,
          method: spec.method,
          headers: {
            ...auth.headers,
            accept: spec.text ? '*/*' : 'application/json',
            ...(body === undefined
              ? {}
              : {
                  'content-type': spec.contentType ?? 'application/json',
                  'content-length': Buffer.byteLength(body),
                }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              if (spec.text) resolve(text);
              else resolve(text === '' ? undefined : JSON.parse(text));
              return;
            }
            let reason: string | undefined;
            let message = text;
            try {
              const parsed = JSON.parse(text) as { reason?: string; message?: string };
              reason = parsed.reason;
              message = parsed.message ?? text;
            } catch {
              // Not a Status object (a proxy's HTML page): keep the text.
            }
            reject(
              new KubeApiError(status, reason, `${spec.method} ${spec.path}: ${status} ${message}`),
            );
          });
        },
      );
      // Without this a request sent on a connection that went silent (kept alive in the pool
      // while the path to the API server broke) would wait forever, and with it whatever
      // awaits it: an informer's list, a start, a reconcile.
      req.setTimeout(timeoutMs, () => {
        req.destroy(
          new KubeApiTimeoutError(
            `${spec.method} ${spec.path}: no answer from the API server in ${String(timeoutMs)} ms`,
          ),
        );
      });
      req.on('error', reject);
      req.end(body);
    });

  let unanswered = false;
  const recoveryListeners = new Set<() => void>();
  const answered = (): void => {
    if (!unanswered) return;
    unanswered = false;
    const listeners = [...recoveryListeners];
    recoveryListeners.clear();
    for (const listener of listeners) listener();
  };
  const sendTracked = async (spec: RequestSpec, auth: RequestAuth): Promise<unknown> => {
    try {
      const answer = await sendWith(spec, auth);
      answered();
      return answer;
    } catch (e) {
      if (isClusterUnreachable(e)) unanswered = true;
      else answered(); // a refusal is an answer too
      throw e;
    }
  };

  const send = async (spec: RequestSpec): Promise<unknown> => {
    const sentAt = Date.now();
    const auth = await credentials.forRequest();
    try {
      return await sendTracked(spec, auth);
    } catch (e) {
      if (!(e instanceof KubeApiError) || e.status !== 401) throw e;
      // The token may have been replaced since it was read (a rotated token file, the old
      // token revoked): once more with what the credentials say now. The API server
      // authenticates before it acts, so a 401 request did nothing and any method may be
      // sent again.
      const fresh = await credentials.rejected(auth, sentAt);
      if (fresh === undefined) throw e;
      return sendTracked(spec, fresh);
    }
  };

  return {
    request: send,
    async get<T>(ref: KindRef, namespace: string, name: string) {
      try {
        return (await send({ method: 'GET', path: objectPath(ref, namespace, name) })) as T;
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return undefined;
        throw e;
      }
    },
    async list<T>(path: string, query?: Readonly<Record<string, string | undefined>>) {
      return (await send({ method: 'GET', path, ...(query ? { query } : {}) })) as KubeList<T>;
    },
    async apply<T extends KubeObject>(
      object: T,
      fieldManager: string,
      options: { dryRun?: boolean } = {},
    ) {
      const { ref, namespace, name } = refOf(object);
      return (await send({
        method: 'PATCH',
        path: objectPath(ref, namespace, name),
        query: { fieldManager, force: 'true', ...(options.dryRun ? { dryRun: 'All' } : {}) },
        body: object,
        contentType: 'application/apply-patch+yaml',
      })) as T;
    },
    async applyStatus(object, fieldManager) {
      const { ref, namespace, name } = refOf(object);
      return send({
        method: 'PATCH',
        path: `${objectPath(ref, namespace, name)}/status`,
        query: { fieldManager, force: 'true' },
        body: object,
        contentType: 'application/apply-patch+yaml',
      });
    },
    async create(object, fieldManager) {
      const { ref, namespace } = refOf(object);
      try {
        await send({
          method: 'POST',
          path: objectPath(ref, namespace, '').replace(/\/$/, ''),
          query: { fieldManager },
          body: object,
        });
        return 'created';
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 409) return 'exists';
        throw e;
      }
    },
    onRecovered(listener) {
      recoveryListeners.add(listener);
      return () => recoveryListeners.delete(listener);
    },
    close() {
      agent.destroy();
    },
  };
}
