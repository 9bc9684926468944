/**
 * Await a condition on Kubernetes objects through a watch, for tests: no sleeps, no polling.
 * A watch without a resourceVersion first replays every existing object as ADDED, so a state
 * reached before the call is seen too.
 *
 *   const pod = await watchUntil<V1Pod>(kc, '/api/v1/namespaces/ns/pods', (type, p) =>
 *     p.metadata?.name === 'web' && p.status?.phase === 'Running');
 */
import { Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchUntilOptions {
  readonly timeoutMs?: number;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
}

export async function watchUntil<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  predicate: (type: WatchEventType, obj: T) => boolean,
  options: WatchUntilOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let last: T | undefined;
  let controller: AbortController | undefined;
  let settled = false;
  return await new Promise<T>((resolve, reject) => {
    const finish = (error: Error | undefined, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      if (error) reject(error);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      finish(
        new Error(
          `timed out after ${timeoutMs} ms watching ${path}; last object seen:\n${JSON.stringify(last, null, 1)}`,
        ),
      );
    }, timeoutMs);
    const query: Record<string, string> = {};
    if (options.fieldSelector) query['fieldSelector'] = options.fieldSelector;
    if (options.labelSelector) query['labelSelector'] = options.labelSelector;
    new Watch(kc)
      .watch(
        path,
        query,
        (type: string, obj: T) => {
          if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
          last = obj;
          try {
            if (predicate(type, obj)) finish(undefined, obj);
          } catch (e) {
            finish(e instanceof Error ? e : new Error(String(e)));
          }
        },
        (err: unknown) => {
          if (!settled) {
            finish(new Error(`watch on ${path} ended before the condition held: ${String(err)}`));
          }
        },
      )
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      })
      .catch((e: unknown) => {
        finish(e instanceof Error ? e : new Error(String(e)));
      });
  });
}

/**
 * Resolves once the named object does not exist: now, or after its DELETED event. Uses a
 * streaming list ("watch list", sendInitialEvents=true): the server replays what exists and
 * then marks the end of the replay with a bookmark, so "nothing replayed" means "gone".
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#streaming-lists
 */
export async function waitForDeletion(
  kc: KubeConfig,
  collectionPath: string,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  let exists = false;
  let controller: AbortController | undefined;
  let settled = false;
  await new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      finish(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${collectionPath}/${name} to be deleted`,
        ),
      );
    }, timeoutMs);
    new Watch(kc)
      .watch(
        collectionPath,
        {
          fieldSelector: `metadata.name=${name}`,
          sendInitialEvents: true,
          resourceVersionMatch: 'NotOlderThan',
          allowWatchBookmarks: true,
        },
        (type: string, obj: KubernetesObject) => {
          if (type === 'ADDED') exists = true;
          else if (type === 'DELETED') finish();
          else if (
            type === 'BOOKMARK' &&
            obj.metadata?.annotations?.['k8s.io/initial-events-end'] === 'true' &&
            !exists
          ) {
            finish();
          }
        },
        (err: unknown) => {
          finish(new Error(`watch on ${collectionPath} ended early: ${String(err)}`));
        },
      )
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      })
      .catch((e: unknown) => {
        finish(e instanceof Error ? e : new Error(String(e)));
      });
  });
}
