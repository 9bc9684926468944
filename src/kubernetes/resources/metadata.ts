/** Metadata shared by every object a notebook owns. */
import type { ObjectMeta, OwnerReference } from '../plain.ts';
import {
  NOTEBOOK_API_VERSION,
  NOTEBOOK_KIND,
  type JupyterNotebook,
} from '../../notebook-spec/resource.ts';
import { notebookAnnotations, notebookLabels } from '../labels.ts';
import { notebookObjectNames } from '../object-names.ts';

/**
 * The ownerReference that makes the garbage collector delete an object with its notebook
 * (https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/).
 * Needs the notebook's uid: `render` without a live resource has none and leaves it out, since
 * a reference to a uid that does not exist would get the object deleted at once.
 */
export function ownerReference(
  notebook: Pick<JupyterNotebook, 'metadata'>,
): OwnerReference | undefined {
  const uid = notebook.metadata.uid;
  if (uid === undefined) return undefined;
  return {
    apiVersion: NOTEBOOK_API_VERSION,
    kind: NOTEBOOK_KIND,
    name: notebook.metadata.name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function namespaceOf(notebook: Pick<JupyterNotebook, 'metadata'>): string {
  return notebook.metadata.namespace ?? 'default';
}

export function objectMeta(
  notebook: Pick<JupyterNotebook, 'metadata'>,
  name: string,
  options: { readonly owned: boolean } = { owned: true },
): ObjectMeta {
  const owner = options.owned ? ownerReference(notebook) : undefined;
  return {
    name,
    namespace: namespaceOf(notebook),
    labels: notebookLabels(notebookObjectNames(notebook.metadata.name).base),
    annotations: notebookAnnotations(notebook.metadata.name, notebook.metadata.annotations),
    ...(owner ? { ownerReferences: [owner] } : {}),
  };
}
