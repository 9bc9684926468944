/**
 * Test fixtures shared by the operator's unit tests (not used by the operator itself).
 */
import type { NotebookStatus } from '../../notebook-spec/status.ts';
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
