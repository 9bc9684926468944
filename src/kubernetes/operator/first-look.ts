/**
 * A new leader's first look at every notebook (a hub restart, a failover). Notebooks whose
 * status already matches what the caches show (Running with its ready pod still there and
 * ready; or stopped, reported Stopped, with no pod), for the spec it was written for, need
 * nothing but a drift check, which can wait a few seconds: their looks are spread over
 * `spreadMs`, so a just-started hub gives its CPU to the proxy and the people waiting on it
 * first (issue 13: a restart with 1,000 running servers re-adopts every route in seconds).
 * Anything else (starting, stopping, a pod gone or not ready, a spec changed meanwhile) is
 * looked at at once.
 */
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import { notebookObjectNames } from '../object-names.ts';
import type { KubeObject, Pod } from '../plain.ts';
import { keyOf } from './informers.ts';
import { isPodReady, isTerminating } from './status.ts';

type Notebook = KubeObject & { spec?: unknown; status?: unknown };

function settled(nb: Notebook, podsOf: (key: string) => readonly Pod[]): boolean {
  const ns = nb.metadata?.namespace;
  const name = nb.metadata?.name;
  if (ns === undefined || name === undefined || nb.metadata?.deletionTimestamp !== undefined) {
    return false;
  }
  const status = nb.status as NotebookStatus | undefined;
  if (status?.observedGeneration !== nb.metadata?.generation) return false;
  const pods = podsOf(keyOf(ns, notebookObjectNames(name).base));
  const stopped = (nb.spec as { stopped?: unknown } | undefined)?.stopped === true;
  if (stopped) return status?.phase === 'Stopped' && pods.length === 0;
  if (status?.phase !== 'Running' || status.readyPod === undefined) return false;
  const pod = pods.find((p) => p.metadata?.uid === status.readyPod);
  return pod !== undefined && !isTerminating(pod) && isPodReady(pod);
}

/** Each notebook's key and when to look at it first (ms from now). */
export function firstLooks(
  notebooks: readonly Notebook[],
  podsOf: (key: string) => readonly Pod[],
  spreadMs: number,
): { readonly key: string; readonly afterMs: number }[] {
  const now: string[] = [];
  const later: string[] = [];
  for (const nb of notebooks) {
    const ns = nb.metadata?.namespace;
    const name = nb.metadata?.name;
    if (ns === undefined || name === undefined) continue;
    (settled(nb, podsOf) ? later : now).push(keyOf(ns, name));
  }
  return [
    ...now.map((key) => ({ key, afterMs: 0 })),
    ...later.map((key, i) => ({
      key,
      afterMs: Math.round((spreadMs * (i + 1)) / later.length),
    })),
  ];
}
