/**
 * REST paths of the kinds Ganymede reads and writes
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris). A fixed
 * table instead of API discovery: the operator touches these kinds and no others.
 */
import {
  NOTEBOOK_API_VERSION,
  NOTEBOOK_KIND,
  NOTEBOOK_PLURAL,
} from '../../notebook-spec/resource.ts';

const plurals: Readonly<Record<string, string>> = {
  'v1/Secret': 'secrets',
  'v1/Service': 'services',
  'v1/PersistentVolumeClaim': 'persistentvolumeclaims',
  'v1/Pod': 'pods',
  'v1/Event': 'events',
  'apps/v1/Deployment': 'deployments',
  'networking.k8s.io/v1/Ingress': 'ingresses',
  'networking.k8s.io/v1/NetworkPolicy': 'networkpolicies',
  'coordination.k8s.io/v1/Lease': 'leases',
  [`${NOTEBOOK_API_VERSION}/${NOTEBOOK_KIND}`]: NOTEBOOK_PLURAL,
};

export interface KindRef {
  readonly apiVersion: string;
  readonly kind: string;
}

/** `/api/v1/namespaces/ns/pods`, `/apis/apps/v1/deployments` (all namespaces). */
export function collectionPath(ref: KindRef, namespace?: string): string {
  const plural = plurals[`${ref.apiVersion}/${ref.kind}`];
  if (plural === undefined) throw new Error(`no REST path known for ${ref.apiVersion} ${ref.kind}`);
  const root = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  return namespace === undefined
    ? `${root}/${plural}`
    : `${root}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

export function objectPath(ref: KindRef, namespace: string, name: string): string {
  return `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}`;
}
