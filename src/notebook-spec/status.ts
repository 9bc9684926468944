/**
 * What the operator reports about a notebook (`.status` of the custom resource) and the hub
 * shows its users. The CRD's status schema is generated from this file too.
 */
import { z } from 'zod';

/**
 * - Pending: waiting for a machine or for storage.
 * - Starting: the server process is being started on a machine.
 * - Running: the server answers.
 * - Stopping: `stopped: true` and the server is still shutting down.
 * - Stopped: no server runs; the files are kept.
 * - Failed: it cannot start without someone changing something (the message says what).
 */
export const notebookPhases = [
  'Pending',
  'Starting',
  'Running',
  'Stopping',
  'Stopped',
  'Failed',
] as const;
export type NotebookPhase = (typeof notebookPhases)[number];

/** Condition types, following the Kubernetes API conventions for conditions
 * (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#typical-status-properties). */
/** `Admitted`: whether the server may start now (True) or waits for its turn because many are
 * starting at once (False, reason Queued); its time orders the queue and starts the clock of
 * the start time-out. Absent while stopped. */
export const conditionTypes = ['Ready', 'Reconciled', 'StorageReady', 'Admitted'] as const;
export type ConditionType = (typeof conditionTypes)[number];

export const conditionSchema = z.strictObject({
  type: z.enum(conditionTypes),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z
    .string()
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
  lastTransitionTime: z.string().describe('RFC 3339 time of the last status change.'),
  observedGeneration: z.int().min(0).optional(),
});
export type NotebookCondition = z.infer<typeof conditionSchema>;

export const notebookStatusSchema = z
  .strictObject({
    phase: z.enum(notebookPhases).describe('Where the notebook is in its life.'),
    message: z.string().max(32768).describe('A sentence a non-technical person can act on.'),
    url: z.string().max(2048).optional().describe('Where the server answers.'),
    readyAt: z
      .string()
      .optional()
      .describe('When the server last became ready (RFC 3339 with milliseconds).'),
    tokenSecretName: z.string().optional().describe('Secret whose key "token" opens the server.'),
    readyAddress: z
      .string()
      .max(256)
      .optional()
      .describe('host:port of the ready server (its pod), where the hub sends its traffic.'),
    readyPod: z
      .string()
      .max(128)
      .optional()
      .describe(
        'UID of the first pod that became ready in this start; if it goes away, the server is reported stopped (its kernels are gone) rather than silently replaced.',
      ),
    startRequestedAt: z
      .string()
      .max(64)
      .optional()
      .describe('The start request (annotation ganymede.dev/started-at) this status is about.'),
    observedGeneration: z.int().min(0).optional(),
    conditions: z
      .array(conditionSchema)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  })
  .describe('Observed state, written by the Ganymede operator.');
export type NotebookStatus = z.infer<typeof notebookStatusSchema>;
