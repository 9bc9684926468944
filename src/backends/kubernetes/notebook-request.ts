/**
 * What the hub writes into the cluster for a user's server, as plain data (no I/O): the
 * `JupyterNotebook` it server-side-applies on start, the merge patch it sends on stop, and the
 * annotations through which every hub replica reads the same story back from the cluster:
 *
 * - `ganymede.dev/user`, `ganymede.dev/server`: the raw names (the resource name is a hashed
 *   DNS label, src/names/kube-names.ts), so `list()` maps resources back to servers.
 * - `ganymede.dev/profile`, `ganymede.dev/started-at`: which profile, and when the start was
 *   asked for (the start timeout is measured from it, by whichever replica looks).
 * - `ganymede.dev/ready-pod`: `<generation>/<pod uid>` of the first pod seen ready for this
 *   start. A different pod later means the first one went away (deleted, evicted, its node
 *   lost): the server is reported stopped, as JupyterHub's KubeSpawner reports a deleted pod,
 *   rather than silently restarted with every kernel lost.
 * - `ganymede.dev/outcome`: why the last start or run ended (`failed` with the message, or a
 *   `stopped` message), or `''` while a start is current.
 */
import type { Profile } from '../../config/schema.ts';
import { annotationKeys } from '../../kubernetes/labels.ts';
import { notebookNameFor } from '../../kubernetes/object-names.ts';
import { specFromProfile } from '../../notebook-spec/from-profile.ts';
import { NOTEBOOK_API_VERSION, NOTEBOOK_KIND } from '../../notebook-spec/resource.ts';
import type { NotebookSpecInput } from '../../notebook-spec/schema.ts';
import type { ServerRef } from '../types.ts';

/** The field manager of the hub's writes (server-side apply and patches). */
export const HUB_FIELD_MANAGER = 'ganymede-hub';

export const hubAnnotations = {
  user: annotationKeys.user,
  server: annotationKeys.server,
  profile: 'ganymede.dev/profile',
  startedAt: 'ganymede.dev/started-at',
  readyPod: 'ganymede.dev/ready-pod',
  outcome: 'ganymede.dev/outcome',
} as const;

/** Marks resources the hub made, so `list()` skips ones written by hand with `kubectl`. */
export const HUB_LABEL = { key: 'ganymede.dev/created-by', value: 'hub' } as const;

export interface Outcome {
  readonly phase: 'failed' | 'stopped';
  readonly message: string;
  readonly detail?: string | undefined;
}

export function resourceNameOf(ref: ServerRef): string {
  return notebookNameFor(ref.user, ref.server);
}

export interface NotebookRequest {
  readonly apiVersion: typeof NOTEBOOK_API_VERSION;
  readonly kind: typeof NOTEBOOK_KIND;
  readonly metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  readonly spec: NotebookSpecInput;
}

/**
 * The resource a start applies: the profile's spec and nothing else a user could choose
 * (StartOptions carries no user options; the profile decides image and resources).
 * `ready-pod` and `outcome` are reset to '' so a new start begins a new story.
 */
export function startRequest(input: {
  readonly ref: ServerRef;
  readonly namespace: string;
  readonly profile: Profile;
  readonly baseUrl: string;
  readonly now: Date;
  /** Ingress routing mode (src/ingress): the notebook's own host, served by the controller. */
  readonly ingress?: NotebookSpecInput['ingress'];
}): NotebookRequest {
  const { ref, profile } = input;
  return {
    apiVersion: NOTEBOOK_API_VERSION,
    kind: NOTEBOOK_KIND,
    metadata: {
      name: resourceNameOf(ref),
      namespace: input.namespace,
      labels: { [HUB_LABEL.key]: HUB_LABEL.value },
      annotations: {
        [hubAnnotations.user]: ref.user,
        [hubAnnotations.server]: ref.server,
        [hubAnnotations.profile]: profile.name,
        [hubAnnotations.startedAt]: input.now.toISOString(),
        [hubAnnotations.readyPod]: '',
        [hubAnnotations.outcome]: '',
      },
    },
    spec: {
      ...specFromProfile(profile, { baseUrl: input.baseUrl, stopped: false }),
      ...(input.ingress === undefined ? {} : { ingress: input.ingress }),
    },
  };
}

/** JSON merge patch (RFC 7386) that stops a server and records why. */
export function stopPatch(outcome: Outcome | undefined): unknown {
  return {
    metadata: {
      annotations: { [hubAnnotations.outcome]: outcome ? JSON.stringify(outcome) : '' },
    },
    spec: { stopped: true },
  };
}

/** Merge patch recording the first ready pod of a start. */
export function readyPodPatch(generation: number, podUid: string): unknown {
  return { metadata: { annotations: { [hubAnnotations.readyPod]: `${generation}/${podUid}` } } };
}

export function parseOutcome(text: string | undefined): Outcome | undefined {
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as Partial<Outcome>;
    if ((o.phase === 'failed' || o.phase === 'stopped') && typeof o.message === 'string') {
      return {
        phase: o.phase,
        message: o.message,
        ...(typeof o.detail === 'string' ? { detail: o.detail } : {}),
      };
    }
  } catch {
    // Written by hand or by a newer hub: treated as no outcome.
  }
  return undefined;
}

export function parseReadyPod(
  text: string | undefined,
): { readonly generation: number; readonly uid: string } | undefined {
  const m = /^(\d+)\/(.+)$/.exec(text ?? '');
  if (!m?.[1] || !m[2]) return undefined;
  return { generation: Number(m[1]), uid: m[2] };
}

/** The server a hub-made resource belongs to, from its annotations. */
export function refOfResource(
  annotations: Readonly<Record<string, string>> | undefined,
): ServerRef | undefined {
  const user = annotations?.[hubAnnotations.user];
  const server = annotations?.[hubAnnotations.server];
  return user === undefined || server === undefined ? undefined : { user, server };
}
