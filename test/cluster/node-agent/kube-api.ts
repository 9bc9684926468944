/**
 * Every API call the node agent makes, in one place, through @kubernetes/client-node.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment --
 * client-node's generated models are classes with only static metadata members; plain object
 * literals serialise exactly as instances would, and building instances field by field would
 * only add noise. */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import type { EnvSources } from './env.ts';
import { EventRecorder } from './event-correlator.ts';
import type { VolumeSources } from './volumes.ts';

/** An error and its causes on one line ("fetch failed: connect ECONNRESET"), for the log. */
export function describeError(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e; cur !== undefined && parts.length < 4;) {
    if (cur instanceof Error) {
      const code = (cur as NodeJS.ErrnoException).code;
      parts.push(code ? `${cur.message} (${code})` : cur.message);
      cur = cur.cause;
    } else {
      parts.push(typeof cur === 'string' ? cur : JSON.stringify(cur));
      cur = undefined;
    }
  }
  return parts.join(': ');
}

export function isStatus(e: unknown, code: number): boolean {
  return e instanceof ApiException && e.code === code;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class NodeAgentApi {
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  readonly objects: KubernetesObjectApi;
  readonly nodeName: string;
  readonly #events: EventRecorder;

  constructor(kc: KubeConfig, nodeName: string) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.nodeName = nodeName;
    this.#events = new EventRecorder({
      create: async (event) => {
        const created = await this.objects.create(event);
        return { name: created.metadata.name, count: created.count };
      },
      patch: async (namespace, name, body) => {
        try {
          const patched = await this.core.patchNamespacedEvent(
            { name, namespace, body },
            mergePatch,
          );
          return { name: patched.metadata.name ?? name, count: patched.count ?? body.count };
        } catch (e) {
          if (isStatus(e, 404)) return undefined;
          throw e;
        }
      },
    });
  }

  /** Creates the Node (or adopts an existing one), then writes its status; returns its uid. */
  async registerNode(
    node: Record<string, unknown>,
    status: Record<string, unknown>,
  ): Promise<string> {
    try {
      await this.objects.create({ apiVersion: 'v1', kind: 'Node', ...node });
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
    }
    const updated = await this.core.patchNodeStatus(
      { name: this.nodeName, body: { status } },
      mergePatch,
    );
    return updated.metadata?.uid ?? '';
  }

  /** Whether the Node's Ready condition is True now (the node controller sets it Unknown when
   * it stops hearing from the node, e.g. through an API server outage). */
  async nodeIsReady(): Promise<boolean> {
    const node = await this.core.readNode({ name: this.nodeName });
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }

  async patchNodeStatus(status: Record<string, unknown>): Promise<void> {
    await this.core.patchNodeStatus({ name: this.nodeName, body: { status } }, mergePatch);
  }

  async createLease(lease: Record<string, unknown>): Promise<void> {
    try {
      await this.objects.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...lease });
    } catch (e) {
      if (!isStatus(e, 409)) throw e;
    }
  }

  async renewLease(renewTime: string): Promise<void> {
    await this.coordination.patchNamespacedLease(
      {
        name: this.nodeName,
        namespace: 'kube-node-lease',
        body: { spec: { holderIdentity: this.nodeName, renewTime } },
      },
      mergePatch,
    );
  }

  async bindPod(pod: V1Pod): Promise<void> {
    await this.objects.create({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '' },
      target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName },
    });
  }

  async patchPodStatus(pod: V1Pod, status: Record<string, unknown>): Promise<V1Pod> {
    return this.core.patchNamespacedPodStatus(
      {
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        body: { status },
      },
      mergePatch,
    );
  }

  /** The kubelet's last step of a graceful deletion: remove the object now, if it is still ours. */
  async deletePodNow(pod: V1Pod): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        // With a body, the API server reads DeleteOptions from it and ignores query parameters.
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid ?? '' } },
      });
    } catch (e) {
      if (!isStatus(e, 404) && !isStatus(e, 409)) throw e;
    }
  }

  /**
   * Records an event about the pod as the kubelet does: through client-go's event correlation
   * (see event-correlator.ts), so a repeat patches the existing Event's count instead of
   * creating another, and a pod that keeps complaining is throttled.
   */
  async recordEvent(
    pod: V1Pod,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    fieldPath?: string,
  ): Promise<void> {
    await this.#events.record({
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod.metadata?.name ?? 'pod',
        namespace: pod.metadata?.namespace ?? 'default',
        uid: pod.metadata?.uid ?? '',
        ...(fieldPath ? { fieldPath } : {}),
      },
      source: { component: 'kubelet', host: this.nodeName },
      type,
      reason,
      message,
    });
  }

  sourcesFor(pod: V1Pod): VolumeSources {
    const namespace = pod.metadata?.namespace ?? 'default';
    const orUndefined = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await read();
      } catch (e) {
        if (isStatus(e, 404)) return undefined;
        throw e;
      }
    };
    const env: EnvSources = {
      secret: async (name) => {
        const s = await orUndefined(() => this.core.readNamespacedSecret({ name, namespace }));
        if (!s) return undefined;
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(s.data ?? {}))
          data[k] = Buffer.from(v, 'base64').toString('utf8');
        for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = v;
        return data;
      },
      configMap: async (name) => {
        const c = await orUndefined(() => this.core.readNamespacedConfigMap({ name, namespace }));
        return c ? { ...(c.data ?? {}) } : undefined;
      },
    };
    return {
      ...env,
      persistentVolumeClaim: async (name) => {
        const claim = await orUndefined(() =>
          this.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
        );
        if (!claim) return undefined;
        return {
          ...(claim.status?.phase ? { phase: claim.status.phase } : {}),
          ...(claim.spec?.volumeName ? { volumeName: claim.spec.volumeName } : {}),
        };
      },
      persistentVolumePath: async (name) => {
        const pv = await orUndefined(() => this.core.readPersistentVolume({ name }));
        if (pv?.spec?.local?.path) return { path: pv.spec.local.path, kind: 'local' as const };
        if (pv?.spec?.hostPath?.path) {
          return { path: pv.spec.hostPath.path, kind: 'hostPath' as const };
        }
        return undefined;
      },
      serviceAccountToken: async (serviceAccount, audience, expirationSeconds) => {
        const res = await this.core.createNamespacedServiceAccountToken({
          name: serviceAccount,
          namespace,
          body: {
            spec: {
              audiences: audience ? [audience] : [],
              expirationSeconds,
              boundObjectRef: {
                apiVersion: 'v1',
                kind: 'Pod',
                name: pod.metadata?.name ?? '',
                uid: pod.metadata?.uid ?? '',
              },
            },
          },
        });
        return res.status?.token ?? '';
      },
    };
  }
}
