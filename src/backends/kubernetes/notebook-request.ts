/**
 * What the hub writes into the cluster for a user's server, as plain data (no I/O): intent
 * only. The `JupyterNotebook` it server-side-applies on start (the spec from the profile, plus
 * annotations) and the merge patch it sends on stop (`spec.stopped: true`). Everything about
 * how a start went is the operator's, in the resource's status (./observe.ts reads it).
 *
 * - `ganymede.dev/user`, `ganymede.dev/server`: the raw names (the resource name is a hashed
 *   DNS label, src/names/kube-names.ts), so the hub maps resources back to servers.
 * - `ganymede.dev/profile`: which environment.
 * - `ganymede.dev/started-at`: when this start was asked for. A new value is a new start: the
 *   operator judges each start on its own (a failed one stays failed until the next request).
 */
import type { Profile } from '../../config/schema.ts';
import { annotationKeys } from '../../kubernetes/labels.ts';
import { notebookNameFor } from '../../kubernetes/object-names.ts';
import { specFromProfile } from '../../notebook-spec/from-profile.ts';
import { NOTEBOOK_API_VERSION, NOTEBOOK_KIND } from '../../notebook-spec/resource.ts';
import type { NotebookSpecInput } from '../../notebook-spec/schema.ts';
import type { ServerRef } from '../types.ts';
import { PROFILE_ANNOTATION } from './observe.ts';

/** The field manager of the hub's writes (server-side apply and patches). */
export const HUB_FIELD_MANAGER = 'ganymede-hub';

export const hubAnnotations = {
  user: annotationKeys.user,
  server: annotationKeys.server,
  profile: PROFILE_ANNOTATION,
  startedAt: annotationKeys.startRequestedAt,
} as const;

/** Marks resources the hub made, so `list()` skips ones written by hand with `kubectl`. */
export const HUB_LABEL = { key: 'ganymede.dev/created-by', value: 'hub' } as const;

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
 */
export function startRequest(input: {
  readonly ref: ServerRef;
  readonly namespace: string;
  readonly profile: Profile;
  readonly baseUrl: string;
  readonly now: Date;
  /** Ingress routing mode (src/ingress): the notebook's own host, served by the controller. */
  readonly ingress?: NotebookSpecInput['ingress'];
  /** JupyterHub's single-user environment; the API token by the name of its Secret only. */
  readonly hub?: NotebookSpecInput['hub'];
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
      },
    },
    spec: {
      ...specFromProfile(profile, { baseUrl: input.baseUrl, stopped: false }),
      ...(input.ingress === undefined ? {} : { ingress: input.ingress }),
      ...(input.hub === undefined ? {} : { hub: input.hub }),
    },
  };
}

/** JSON merge patch (RFC 7386) that stops a server; its files are never touched. */
export const STOP_PATCH = { spec: { stopped: true } } as const;

/** The server a hub-made resource belongs to, from its annotations. */
export function refOfResource(
  annotations: Readonly<Record<string, string>> | undefined,
): ServerRef | undefined {
  const user = annotations?.[hubAnnotations.user];
  const server = annotations?.[hubAnnotations.server];
  return user === undefined || server === undefined ? undefined : { user, server };
}
