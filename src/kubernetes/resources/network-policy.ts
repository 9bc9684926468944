import type { NetworkPolicy, NetworkPolicyPeer } from '../plain.ts';
import type { JupyterNotebook } from '../../notebook-spec/resource.ts';
import { notebookSelector } from '../labels.ts';
import { notebookObjectNames } from '../object-names.ts';
import { objectMeta } from './metadata.ts';
import { NOTEBOOK_PORT_NAME, type BuildSettings } from './settings.ts';

/**
 * Cloud metadata endpoints hand out the node's cloud credentials to any pod that asks
 * (AWS, GCP, Azure and OpenStack at 169.254.169.254, AWS over IPv6 at fd00:ec2::254,
 * Alibaba at 100.100.100.200); a notebook runs arbitrary user code, so it may never reach them.
 */
export const METADATA_ADDRESSES_V4 = ['169.254.169.254/32', '100.100.100.200/32'];
export const METADATA_ADDRESSES_V6 = ['fd00:ec2::254/128'];

/** Namespaces carry `kubernetes.io/metadata.name` since Kubernetes 1.22. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Admits only the hub (and the ingress controller, when an Ingress is asked for) to the
 * notebook port, and lets the notebook reach anything but the cloud metadata addresses
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/).
 */
export function buildNetworkPolicy(
  notebook: JupyterNotebook,
  settings: BuildSettings,
): NetworkPolicy {
  const { base } = notebookObjectNames(notebook.metadata.name);
  const hub: NetworkPolicyPeer = {
    podSelector: { matchLabels: { ...settings.hubPodLabels } },
    ...(settings.hubNamespace === undefined
      ? {}
      : { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: settings.hubNamespace } } }),
  };
  const from: NetworkPolicyPeer[] = [hub];
  if (notebook.spec.ingress) {
    from.push({
      namespaceSelector: {
        matchLabels: { [NAMESPACE_NAME_LABEL]: settings.ingressControllerNamespace },
      },
    });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(notebook, base),
    spec: {
      podSelector: { matchLabels: notebookSelector(base) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from, ports: [{ protocol: 'TCP', port: NOTEBOOK_PORT_NAME }] }],
      egress: [
        {
          to: [
            { ipBlock: { cidr: '0.0.0.0/0', except: METADATA_ADDRESSES_V4 } },
            { ipBlock: { cidr: '::/0', except: METADATA_ADDRESSES_V6 } },
          ],
        },
      ],
    },
  };
}
