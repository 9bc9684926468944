import type { Ingress } from '../plain.ts';
import type { JupyterNotebook } from '../../notebook-spec/resource.ts';
import { notebookObjectNames } from '../object-names.ts';
import { objectMeta } from './metadata.ts';
import { NOTEBOOK_PORT_NAME } from './settings.ts';

/** An Ingress for `spec.ingress`, routing the base URL prefix of the host to the Service. */
export function buildIngress(notebook: JupyterNotebook): Ingress | undefined {
  const { ingress, baseUrl } = notebook.spec;
  if (!ingress) return undefined;
  const { base } = notebookObjectNames(notebook.metadata.name);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: objectMeta(notebook, base),
    spec: {
      ...(ingress.className === undefined ? {} : { ingressClassName: ingress.className }),
      rules: [
        {
          host: ingress.host,
          http: {
            paths: [
              {
                path: baseUrl,
                pathType: 'Prefix',
                backend: { service: { name: base, port: { name: NOTEBOOK_PORT_NAME } } },
              },
            ],
          },
        },
      ],
      ...(ingress.tls
        ? { tls: [{ hosts: [ingress.host], secretName: ingress.tls.secretName }] }
        : {}),
    },
  };
}
