/**
 * Names of the objects one `JupyterNotebook` owns, all derived from its `metadata.name` with
 * the one naming module (src/names/kube-names.ts). A resource name may be any DNS subdomain
 * (253 characters, dots, a leading digit), but a Service name must be a DNS-1035 label of at
 * most 63 characters and label values at most 63, so the shared base is made a DNS-1035 label
 * short enough for the longest suffix. Readable names stay as they are.
 */
import { kubeNameOf, kubeServiceName, DNS_LABEL_MAX } from '../names/kube-names.ts';

const PVC_SUFFIX = '-home';

export interface NotebookObjectNames {
  /** Safe base: the Deployment, Service, Secret, Ingress and NetworkPolicy name, and label value. */
  readonly base: string;
  /** The created home volume claim. */
  readonly claim: string;
  readonly secret: string;
  /** The Secret the hub writes the server's JupyterHub API token into (`spec.hub`). */
  readonly hubSecret: string;
}

export function notebookObjectNames(resourceName: string): NotebookObjectNames {
  const base = kubeServiceName(resourceName, DNS_LABEL_MAX - PVC_SUFFIX.length);
  return { base, claim: `${base}${PVC_SUFFIX}`, secret: base, hubSecret: `${base}-hub` };
}

/** The `JupyterNotebook` name the hub uses for a user's server ('' is the default server). */
export function notebookNameFor(user: string, server: string): string {
  return kubeNameOf([user, server]);
}
