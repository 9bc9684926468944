/** The Kubernetes backend: notebook servers as `JupyterNotebook` resources. */
export { createKubernetesBackend } from './kubernetes-backend.ts';
export { K8S_MESSAGES, K8S_PROGRESS } from './messages.ts';
export { HUB_FIELD_MANAGER, hubAnnotations, resourceNameOf } from './notebook-request.ts';
export type { KubernetesBackendOptions, KubernetesBackendSettings } from './options.ts';
