/**
 * Test fixtures shared by the operator's unit tests (not used by the operator itself).
 */
import type { NotebookStatus } from '../../notebook-spec/status.ts';
import type { KubeObject } from '../plain.ts';
import { indexers, type Cache, type IndexName } from './informers.ts';
import { QUEUED_REASON } from './status.ts';

/** A status as the operator writes it for a server waiting in the start queue since `at`. */
export function queuedStatus(at: string): NotebookStatus {
  return {
    phase: 'Pending',
    message: 'queued',
    observedGeneration: 1,
    conditions: [
      {
        type: 'Admitted',
        status: 'False',
        reason: QUEUED_REASON,
        message: '',
        lastTransitionTime: at,
      },
    ],
  };
}

/** A cache over a fixed array, with every index of the real ones (./informers.ts). */
export function arrayCache<T extends KubeObject>(items: T[] = []): Cache<T> & { items: T[] } {
  return {
    items,
    get: (name, ns) => items.find((i) => i.metadata?.name === name && i.metadata.namespace === ns),
    list: (ns) => items.filter((i) => ns === undefined || i.metadata?.namespace === ns),
    byIndex: (index: IndexName, value: string) =>
      items.filter((i) => (indexers[index] as (o: T) => string | undefined)(i) === value),
  };
}
