/**
 * The node agent: plays one kubelet (and the scheduler, for its one node). Registers the
 * Node, renews its Lease, binds pending pods that fit, and runs the pods bound to it as local
 * processes (pod-worker.ts). All pod knowledge comes from one informer (list + watch) on
 * pods, as a kubelet's comes from its watch.
 * Why our own: no kubelet runs without a container runtime, and kwok's fake nodes run nothing.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, release, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type ObjectCache,
  type V1Pod,
} from '@kubernetes/client-node';
import type { PodNetwork } from '../network/pod-network.ts';
import { containerLogDir, kubeletBackoff, type Backoff } from './container-runner.ts';
import { startKubeletServer, type KubeletServer } from './kubelet-server.ts';
import type { ImageRule } from './images.ts';
import { NodeAgentApi, describeError, isStatus } from './kube-api.ts';
import {
  leaseObject,
  microTime,
  nodeLabels,
  nodeObject,
  nodeResources,
  nodeStatus,
  type NodeFacts,
} from './node-object.ts';
import { PodWorker } from './pod-worker.ts';
import { fitPod, isTerminal } from './scheduling.ts';

export interface NodeAgentOptions {
  readonly kubeConfig: KubeConfig;
  readonly network: PodNetwork;
  readonly images: readonly ImageRule[];
  /** Pods' folders (emptyDirs, logs, HOME) go under <dir>/pods/<uid>. */
  readonly dir: string;
  readonly nodeName?: string;
  readonly kubeletVersion?: string;
  readonly backoff?: Backoff;
  /** Pods the Node admits (capacity `pods`); the kubelet's default is 110. */
  readonly maxPods?: number;
  readonly log?: (message: string) => void;
}

/** The kubelet's defaults: renew every 10 s, lease valid for 40 s. */
const leaseRenewMs = 10_000;
const leaseDurationSeconds = 40;

export class NodeAgent {
  readonly nodeName: string;
  readonly #api: NodeAgentApi;
  readonly #options: NodeAgentOptions;
  readonly #workers = new Map<string, PodWorker>();
  #facts: NodeFacts;
  #kubelet: KubeletServer | undefined;
  readonly #log: (message: string) => void;
  #informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #unschedulable = new Map<string, string>();

  private constructor(options: NodeAgentOptions) {
    this.#options = options;
    this.nodeName = options.nodeName ?? 'ganymede-test-node';
    this.#api = new NodeAgentApi(options.kubeConfig, this.nodeName);
    this.#log = options.log ?? ((m) => process.stderr.write(`[node-agent] ${m}\n`));
    this.#facts = {
      name: this.nodeName,
      internalIP: options.network.gateway,
      podCIDR: options.network.cidr,
      cpuCores: availableParallelism(),
      memoryBytes: totalmem(),
      maxPods: options.maxPods ?? 110,
      kubeletVersion: options.kubeletVersion ?? 'v1.36.3',
      kernelVersion: release(),
      osImage: 'Ganymede test node agent',
      bootID: randomUUID(),
      kubeletPort: 0,
    };
  }

  static async start(options: NodeAgentOptions): Promise<NodeAgent> {
    const agent = new NodeAgent(options);
    agent.#kubelet = await startKubeletServer(options.network.gateway, {
      logDir: (namespace, pod, container) => {
        const worker = [...agent.#workers.values()].find(
          (w) => w.pod.metadata?.namespace === namespace && w.pod.metadata.name === pod,
        );
        return worker ? containerLogDir(worker.podDir, container) : undefined;
      },
    });
    agent.#facts = { ...agent.#facts, kubeletPort: agent.#kubelet.port };
    await agent.#register();
    await agent.#watchPods();
    return agent;
  }

  async #register(): Promise<void> {
    const uid = await this.#api.registerNode(
      nodeObject(this.#facts),
      nodeStatus(this.#facts, new Date()),
    );
    await this.#api.createLease(leaseObject(this.nodeName, uid, leaseDurationSeconds, new Date()));
    this.#leaseTimer = setInterval(() => {
      void this.#heartbeat();
    }, leaseRenewMs);
    this.#leaseTimer.unref();
  }

  /**
   * Renews the Lease and, like the kubelet's node status loop, reports Ready again when the
   * node lifecycle controller marked the Node Unknown (it does so after an API server outage
   * longer than its grace period: it missed the heartbeats, the node never stopped).
   */
  async #heartbeat(): Promise<void> {
    try {
      await this.#api.renewLease(microTime(new Date()));
      if (!(await this.#api.nodeIsReady())) {
        await this.#api.patchNodeStatus(nodeStatus(this.#facts, new Date()));
        this.#log('node reported Ready again');
      }
    } catch (e) {
      this.#log(`heartbeat failed: ${describeError(e)}`);
    }
  }

  async #watchPods(): Promise<void> {
    const core = this.#api.core;
    const informer = makeInformer<V1Pod>(this.#options.kubeConfig, '/api/v1/pods', () =>
      core.listPodForAllNamespaces(),
    );
    informer.on('add', (pod) => {
      this.#onPod(pod);
    });
    informer.on('update', (pod) => {
      this.#onPod(pod);
    });
    informer.on('delete', (pod) => {
      this.#onPodDeleted(pod);
    });
    informer.on('error', (err: unknown) => {
      if (this.#stopped) return;
      this.#log(`pod watch failed, restarting: ${String(err)}`);
      // The informer stops on error; client-node's documented remedy is to start it again.
      setTimeout(() => {
        if (!this.#stopped) void informer.start().catch(() => undefined);
      }, 1000).unref();
    });
    this.#informer = informer;
    await informer.start();
  }

  #onPod(pod: V1Pod): void {
    if (this.#stopped) return;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) {
      void this.#schedule(pod);
      return;
    }
    if (nodeName !== this.nodeName) return;
    const uid = pod.metadata?.uid ?? '';
    let worker = this.#workers.get(uid);
    if (!worker) {
      if (isTerminal(pod) && !pod.metadata?.deletionTimestamp) return; // Finished before we started.
      worker = new PodWorker(
        {
          api: this.#api,
          network: this.#options.network,
          images: this.#options.images,
          podsDir: join(this.#options.dir, 'pods'),
          hostIP: this.#facts.internalIP,
          nodeAllocatable: nodeResources(this.#facts),
          backoff: this.#options.backoff ?? kubeletBackoff,
          log: this.#log,
        },
        pod,
      );
      this.#workers.set(uid, worker);
      worker.start();
    }
    worker.update(pod);
    if (isTerminal(pod)) this.#retryUnschedulable();
  }

  #onPodDeleted(pod: V1Pod): void {
    const uid = pod.metadata?.uid ?? '';
    this.#unschedulable.delete(uid);
    const worker = this.#workers.get(uid);
    if (!worker) return;
    this.#workers.delete(uid);
    void worker.forget().then(() => {
      this.#retryUnschedulable();
    });
  }

  /** Binds a pending pod to our node if it fits, else records why, as kube-scheduler does. */
  async #schedule(pod: V1Pod): Promise<void> {
    const scheduler = pod.spec?.schedulerName ?? 'default-scheduler';
    if (scheduler !== 'default-scheduler' || pod.metadata?.deletionTimestamp) return;
    const onNode = (this.#informer?.list() ?? []).filter((p) => p.spec?.nodeName === this.nodeName);
    const fit = fitPod(
      pod,
      { labels: nodeLabels(this.nodeName), allocatable: nodeResources(this.#facts) },
      onNode,
    );
    const uid = pod.metadata?.uid ?? '';
    try {
      if (fit.fits) {
        this.#unschedulable.delete(uid);
        await this.#api.bindPod(pod);
        return;
      }
      if (this.#unschedulable.get(uid) === fit.message) return;
      this.#unschedulable.set(uid, fit.message);
      await this.#api.patchPodStatus(pod, {
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: fit.message,
            lastProbeTime: null,
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      });
      await this.#api.recordEvent(pod, 'Warning', 'FailedScheduling', fit.message);
    } catch (e) {
      // 409: bound meanwhile (our own earlier attempt raced a watch event); 404: deleted.
      if (!isStatus(e, 404) && !isStatus(e, 409)) {
        // Transient (the API server busy or unreachable): try again, as kube-scheduler requeues.
        this.#unschedulable.delete(uid);
        setTimeout(() => {
          const latest = this.#informer?.get(pod.metadata?.name ?? '', pod.metadata?.namespace);
          if (!this.#stopped && latest && !latest.spec?.nodeName) void this.#schedule(latest);
        }, 1000).unref();
        this.#log(
          `scheduling ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}: ${describeError(e)}`,
        );
      }
    }
  }

  #retryUnschedulable(): void {
    for (const pod of this.#informer?.list() ?? []) {
      if (!pod.spec?.nodeName && this.#unschedulable.has(pod.metadata?.uid ?? ''))
        void this.#schedule(pod);
    }
  }

  /** Stops watching and kills every pod at once (no graceful deletion: the cluster is going). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#leaseTimer);
    await this.#informer?.stop();
    await Promise.all([...this.#workers.values()].map((w) => w.forget()));
    this.#workers.clear();
    await this.#kubelet?.close();
  }
}
