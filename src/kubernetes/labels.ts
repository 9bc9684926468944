/**
 * Labels and annotations on every object Ganymede creates. Labels carry the recommended
 * `app.kubernetes.io/*` keys (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/)
 * and the safe notebook name used in selectors; label values are limited to 63 characters, so
 * raw names (arbitrary Unicode users and servers, long resource names) live in annotations.
 */
export const FIELD_MANAGER = 'ganymede-operator';
export const PART_OF = 'ganymede';

export const labelKeys = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
  /** Safe name of the notebook an object belongs to; the pod selector. */
  notebook: 'ganymede.dev/notebook',
} as const;

export const annotationKeys = {
  /** Raw `metadata.name` of the owning JupyterNotebook (the operator maps events back by it). */
  notebookName: 'ganymede.dev/notebook-name',
  /** Raw user and server names, set by the hub on the JupyterNotebook and copied down. */
  user: 'ganymede.dev/user',
  server: 'ganymede.dev/server',
  /**
   * When the hub asked for the current start (RFC 3339), set by the hub with every start: its
   * intent, like `spec`. The operator judges each start on its own: a start that failed, timed
   * out or lost its pod stays so until the next request (a new value here, or a new spec).
   */
  startRequestedAt: 'ganymede.dev/started-at',
  /**
   * On each object the operator applies: a hash of what it applied. A new operator (a hub
   * restart, a new leader) finds an object already holding what it would apply by this and a
   * field-by-field comparison, and skips the write (src/kubernetes/operator/reconcile.ts).
   */
  appliedHash: 'ganymede.dev/applied-hash',
} as const;

/** The start request a notebook carries (`startRequestedAt`), if any (empty counts as none). */
export function startRequestOf(
  annotations: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const value = annotations?.[annotationKeys.startRequestedAt];
  return value === undefined || value === '' ? undefined : value;
}

/** Selects every object the operator manages, in list/watch calls. */
export const managedSelector = `${labelKeys.managedBy}=${FIELD_MANAGER}`;

export function notebookLabels(safeName: string): Record<string, string> {
  return {
    [labelKeys.name]: 'jupyter-notebook',
    [labelKeys.instance]: safeName,
    [labelKeys.component]: 'notebook',
    [labelKeys.partOf]: PART_OF,
    [labelKeys.managedBy]: FIELD_MANAGER,
    [labelKeys.notebook]: safeName,
  };
}

/** Labels Deployments select pods by: only the stable, per-notebook ones. */
export function notebookSelector(safeName: string): Record<string, string> {
  return { [labelKeys.name]: 'jupyter-notebook', [labelKeys.notebook]: safeName };
}

export function notebookAnnotations(
  resourceName: string,
  resourceAnnotations: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = { [annotationKeys.notebookName]: resourceName };
  const user = resourceAnnotations?.[annotationKeys.user];
  const server = resourceAnnotations?.[annotationKeys.server];
  if (user !== undefined) out[annotationKeys.user] = user;
  if (server !== undefined) out[annotationKeys.server] = server;
  return out;
}
