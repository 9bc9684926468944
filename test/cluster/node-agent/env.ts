/**
 * A container's environment as the kubelet computes it: the image's ENV, then `envFrom`, then
 * `env` in order, with $(VAR) references expanded against what came before, downward API
 * fields and secret/config map keys resolved. A missing required source is a
 * CreateContainerConfigError, with the kubelet's wording.
 * https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/
 * https://kubernetes.io/docs/concepts/workloads/pods/downward-api/
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { parseQuantity } from './quantity.ts';

export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface EnvSources {
  /** Decoded data of a Secret in the pod's namespace, undefined when it does not exist. */
  secret(name: string): Promise<Readonly<Record<string, string>> | undefined>;
  configMap(name: string): Promise<Readonly<Record<string, string>> | undefined>;
}

export interface PodRuntimeFacts {
  readonly podIP: string;
  readonly hostIP: string;
  readonly nodeAllocatable: Readonly<Record<string, string>>;
}

/** Expands $(NAME) from `vars`; $$ escapes a literal $; unknown references stay as written. */
export function expandReferences(input: string, vars: Readonly<Record<string, string>>): string {
  return input.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(vars, name) ? (vars[name] ?? '') : match;
  });
}

export function fieldRefValue(pod: V1Pod, fieldPath: string, facts: PodRuntimeFacts): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) {
    const map = m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[m[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP;
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
  }
}

export function resourceFieldValue(
  container: V1Container,
  resource: string,
  divisor: string | undefined,
  facts: PodRuntimeFacts,
): string {
  const [kind, name = ''] = resource.split('.', 2) as [string, string?];
  const set = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  // An unset limit defaults to the node's allocatable, as the kubelet does.
  const raw = set?.[name] ?? (kind === 'limits' ? facts.nodeAllocatable[name] : '0');
  const value = parseQuantity(raw) / parseQuantity(divisor ?? '1');
  return String(Math.ceil(value));
}

export async function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  facts: PodRuntimeFacts,
  sources: EnvSources,
  imageEnv: Readonly<Record<string, string>> = {},
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? '';
  const env: Record<string, string> = { ...imageEnv };
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const data = await sources.configMap(from.configMapRef.name ?? '');
      if (!data && !from.configMapRef.optional) {
        throw new ContainerConfigError(`configmap "${from.configMapRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
    }
    if (from.secretRef) {
      const data = await sources.secret(from.secretRef.name ?? '');
      if (!data && !from.secretRef.optional) {
        throw new ContainerConfigError(`secret "${from.secretRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
    }
  }
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      env[e.name] = expandReferences(e.value ?? '', env);
    } else if (from.fieldRef) {
      env[e.name] = fieldRefValue(pod, from.fieldRef.fieldPath, facts);
    } else if (from.resourceFieldRef) {
      const target = from.resourceFieldRef.containerName
        ? pod.spec?.containers.find((c) => c.name === from.resourceFieldRef?.containerName)
        : container;
      env[e.name] = resourceFieldValue(
        target ?? container,
        from.resourceFieldRef.resource,
        from.resourceFieldRef.divisor,
        facts,
      );
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      const data = await sources.secret(ref.name ?? '');
      const value = data?.[ref.key];
      if (value !== undefined) env[e.name] = value;
      else if (!ref.optional) {
        throw new ContainerConfigError(
          data
            ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name ?? ''}`
            : `secret "${ref.name ?? ''}" not found`,
        );
      }
    } else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const data = await sources.configMap(ref.name ?? '');
      const value = data?.[ref.key];
      if (value !== undefined) env[e.name] = value;
      else if (!ref.optional) {
        throw new ContainerConfigError(
          data
            ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name ?? ''}`
            : `configmap "${ref.name ?? ''}" not found`,
        );
      }
    }
  }
  return env;
}
