import type { Service } from '../plain.ts';
import type { JupyterNotebook } from '../../notebook-spec/resource.ts';
import { notebookSelector } from '../labels.ts';
import { notebookObjectNames } from '../object-names.ts';
import { namespaceOf, objectMeta } from './metadata.ts';
import { NOTEBOOK_PORT, NOTEBOOK_PORT_NAME } from './settings.ts';

export function buildService(notebook: JupyterNotebook): Service {
  const { base } = notebookObjectNames(notebook.metadata.name);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(notebook, base),
    spec: {
      type: 'ClusterIP',
      selector: notebookSelector(base),
      ports: [
        {
          name: NOTEBOOK_PORT_NAME,
          port: NOTEBOOK_PORT,
          targetPort: NOTEBOOK_PORT_NAME,
          protocol: 'TCP',
        },
      ],
    },
  };
}

/** Where the server answers: the Ingress's public URL when there is one, else the Service's
 * in-cluster address (what the hub's proxy talks to). */
export function notebookUrl(notebook: JupyterNotebook): string {
  const { spec } = notebook;
  if (spec.ingress) {
    return `${spec.ingress.tls ? 'https' : 'http'}://${spec.ingress.host}${spec.baseUrl}`;
  }
  const { base } = notebookObjectNames(notebook.metadata.name);
  return `http://${base}.${namespaceOf(notebook)}.svc:${NOTEBOOK_PORT}${spec.baseUrl}`;
}
