import type { PersistentVolumeClaim } from '../plain.ts';
import type { JupyterNotebook } from '../../notebook-spec/resource.ts';
import { notebookObjectNames } from '../object-names.ts';
import { objectMeta } from './metadata.ts';

/**
 * The home volume claim, or undefined when the spec names an existing claim. It carries an
 * ownerReference (and so is garbage-collected with the notebook) only when `retain: false`:
 * by default a user's files outlive their notebook.
 */
export function buildClaim(notebook: JupyterNotebook): PersistentVolumeClaim | undefined {
  const { storage } = notebook.spec;
  if (storage.existingClaim !== undefined) return undefined;
  const { claim } = notebookObjectNames(notebook.metadata.name);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: objectMeta(notebook, claim, { owned: !storage.retain }),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: storage.size } },
      ...(storage.className === undefined ? {} : { storageClassName: storage.className }),
    },
  };
}
