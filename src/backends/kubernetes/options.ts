/**
 * Options of the Kubernetes backend. Data fields are checked with zod (a wrong one names its
 * field); the cluster credentials and injected functions are typed only.
 */
import type { KubeConfig } from '#kubernetes-client';
import { z } from 'zod';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import type { BackendLogger } from '../local/options.ts';

export const kubernetesBackendSettingsSchema = z.strictObject({
  /** Namespace of the users' `JupyterNotebook` resources. */
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'),
  /** How long a start may take before it fails (measured from the start's request or its
   * turn). The operator enforces it; the backend gives up this long plus a grace when no
   * operator reports at all. Default 300 s. */
  startTimeoutMs: z.int().min(1).default(300_000),
  /** How long `stop` waits for the pod to be gone before it returns anyway. Default 60 s. */
  stopWaitMs: z.int().min(0).default(60_000),
});
export type KubernetesBackendSettings = z.infer<typeof kubernetesBackendSettingsSchema>;

export interface KubernetesBackendOptions extends z.input<typeof kubernetesBackendSettingsSchema> {
  readonly kubeConfig: KubeConfig;
  /**
   * Ingress routing mode (config `ingressRouting`, src/ingress): each server's JupyterNotebook
   * gets `spec.ingress` on `<kube-name>.<baseDomain>`. Default: none (the hub proxies).
   */
  readonly ingress?: {
    readonly baseDomain: string;
    readonly className?: string | undefined;
    readonly tlsSecretName?: string | undefined;
  };
  /** Default: drops everything. */
  readonly log?: BackendLogger;
  /** Default `() => new Date()`. */
  readonly now?: () => Date;
}

export function parseKubernetesSettings(
  options: KubernetesBackendOptions,
): KubernetesBackendSettings {
  const parsed = kubernetesBackendSettingsSchema.safeParse({
    namespace: options.namespace,
    startTimeoutMs: options.startTimeoutMs,
    stopWaitMs: options.stopWaitMs,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = `backend.kubernetes.${issue?.path.join('.') ?? ''}`;
    throw new GanymedeError('internal', 'The Kubernetes backend is misconfigured.', {
      detail: `${field}: ${issue?.message ?? 'invalid'}`,
      field,
    });
  }
  return parsed.data;
}
