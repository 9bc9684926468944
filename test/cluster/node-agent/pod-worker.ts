/**
 * One pod on our node, from admission to deletion, the way the kubelet's pod worker treats
 * it: sandbox (network namespace, pod IP), volumes, init containers in order, then the
 * containers side by side; status written after every change; graceful deletion as
 * SIGTERM → grace period → SIGKILL → terminal status → delete with grace 0.
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { PodNetwork } from '../network/pod-network.ts';
import { ContainerRunner, type Backoff } from './container-runner.ts';
import type { ImageRule } from './images.ts';
import { describeError, isStatus, type NodeAgentApi } from './kube-api.ts';
import { buildPodStatus, type PodView } from './pod-status.ts';
import { VolumeError, prepareVolumes } from './volumes.ts';

export interface PodWorkerContext {
  readonly api: NodeAgentApi;
  readonly network: PodNetwork;
  readonly images: readonly ImageRule[];
  readonly podsDir: string;
  readonly hostIP: string;
  readonly nodeAllocatable: Readonly<Record<string, string>>;
  readonly backoff: Backoff;
  readonly log: (message: string) => void;
}

export class PodWorker {
  readonly uid: string;
  readonly #ctx: PodWorkerContext;
  readonly #podDir: string;
  readonly #startTime = new Date();
  #pod: V1Pod;
  #podIP: string | undefined;
  #sandboxReady = false;
  #initRunners: ContainerRunner[] = [];
  #runners: ContainerRunner[] = [];
  #terminating = false;
  #finished: Promise<void> | undefined;
  #writing: Promise<void> | undefined;
  #dirty = false;
  #lastWritten = '';
  #gone = false;
  #volumeMessage = '';
  #sandbox: Promise<unknown> | undefined;
  #graceMs = Infinity;

  constructor(ctx: PodWorkerContext, pod: V1Pod) {
    this.#ctx = ctx;
    this.#pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.#podDir = join(ctx.podsDir, this.uid);
  }

  get pod(): V1Pod {
    return this.#pod;
  }

  /** The pod's folder: volumes/, logs/<container>/<run>.log, rootfs/ (HOME outside volumes). */
  get podDir(): string {
    return this.#podDir;
  }

  /** Called for every watch event of this pod. */
  update(pod: V1Pod): void {
    this.#pod = pod;
    if (!pod.metadata?.deletionTimestamp) return;
    const graceMs =
      (pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) *
      1000;
    if (!this.#terminating) {
      this.#graceMs = graceMs;
      void this.terminate(graceMs, true);
    } else if (graceMs < this.#graceMs) {
      // Deleted again with a shorter grace period: the API server lowered it; so do we.
      this.#graceMs = graceMs;
      for (const r of [...this.#initRunners, ...this.#runners]) void r.stop(graceMs);
    }
  }

  start(): void {
    void this.#run().catch((e: unknown) => {
      this.#ctx.log(
        `pod ${this.#name()}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
    });
  }

  /**
   * Stops every container (SIGTERM, `graceMs`, SIGKILL), writes the terminal status, and when
   * `deleteObject`, deletes the pod with grace 0. Then frees the network and the pod folder.
   * Idempotent: later calls join the first.
   */
  terminate(graceMs: number, deleteObject: boolean): Promise<void> {
    this.#finished ??= (async () => {
      this.#terminating = true;
      await this.#sandbox?.catch(() => undefined);
      await Promise.all([...this.#initRunners, ...this.#runners].map((r) => r.stop(graceMs)));
      if (deleteObject && !this.#gone) {
        this.#scheduleStatusWrite();
        await this.#writing;
        this.#gone = true;
        await this.#ctx.api.deletePodNow(this.#pod).catch((e: unknown) => {
          this.#ctx.log(`pod ${this.#name()}: delete failed: ${describeError(e)}`);
        });
      }
      this.#gone = true;
      await this.#ctx.network.removePod(this.uid);
      // GANYMEDE_CLUSTER_KEEP=1 keeps logs and volumes for a post-mortem.
      if (process.env['GANYMEDE_CLUSTER_KEEP'] !== '1')
        await rm(this.#podDir, { recursive: true, force: true });
    })();
    return this.#finished;
  }

  /** The pod object is gone from the API: stop at once, write nothing more. */
  forget(): Promise<void> {
    this.#gone = true;
    return this.terminate(0, false);
  }

  /** A call, so TypeScript does not keep a narrowing of the field across awaits. */
  #isTerminating(): boolean {
    return this.#terminating;
  }

  #name(): string {
    return `${this.#pod.metadata?.namespace ?? ''}/${this.#pod.metadata?.name ?? ''}`;
  }

  #event(type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    if (this.#gone) return;
    void this.#ctx.api
      .recordEvent(this.#pod, type, reason, message, fieldPath)
      .catch(() => undefined);
  }

  async #run(): Promise<void> {
    await mkdir(this.#podDir, { recursive: true, mode: 0o755 });
    const spec = this.#pod.spec;
    const volumes = new Map<string, string>();
    const sources = this.#ctx.api.sourcesFor(this.#pod);
    const makeRunner = (
      container: NonNullable<typeof spec>['containers'][number],
      kind: 'init' | 'regular',
      netns: string,
    ) =>
      new ContainerRunner({
        pod: () => this.#pod,
        container,
        kind,
        podDir: this.#podDir,
        netns,
        facts: {
          podIP: this.#podIP ?? '',
          hostIP: this.#ctx.hostIP,
          nodeAllocatable: this.#ctx.nodeAllocatable,
        },
        images: this.#ctx.images,
        volumes,
        sources,
        backoff: this.#ctx.backoff,
        onChange: () => {
          this.#scheduleStatusWrite();
        },
        event: (type, reason, message) => {
          const list = kind === 'init' ? 'initContainers' : 'containers';
          this.#event(type, reason, message, `spec.${list}{${container.name}}`);
        },
      });
    // Runners exist from the start so the first status lists every container as waiting.
    const pending = { netns: '' };
    this.#initRunners = (spec?.initContainers ?? []).map((c) =>
      makeRunner(c, 'init', pending.netns),
    );
    this.#runners = (spec?.containers ?? []).map((c) => makeRunner(c, 'regular', pending.netns));
    this.#scheduleStatusWrite();
    if (this.#isTerminating()) return;

    const sandbox = this.#ctx.network.addPod(this.uid);
    this.#sandbox = sandbox;
    const iface = await sandbox;
    if (this.#isTerminating()) return;
    this.#podIP = iface.ip;
    this.#sandboxReady = true;
    // Rebuild the runners now that the namespace exists (nothing has run yet).
    this.#initRunners = (spec?.initContainers ?? []).map((c) => makeRunner(c, 'init', iface.netns));
    this.#runners = (spec?.containers ?? []).map((c) => makeRunner(c, 'regular', iface.netns));
    this.#scheduleStatusWrite();

    const facts = {
      podIP: iface.ip,
      hostIP: this.#ctx.hostIP,
      nodeAllocatable: this.#ctx.nodeAllocatable,
    };
    for (;;) {
      if (this.#isTerminating()) return;
      try {
        for (const [k, v] of await prepareVolumes(this.#pod, this.#podDir, sources, facts))
          volumes.set(k, v);
        break;
      } catch (e) {
        // VolumeError: the pod's (an unbound claim); otherwise transient (an API call failed).
        const message = describeError(e);
        if (message !== this.#volumeMessage) {
          this.#volumeMessage = message;
          this.#event('Warning', 'FailedMount', `MountVolume.SetUp failed: ${message}`);
          if (!(e instanceof VolumeError)) this.#ctx.log(`pod ${this.#name()}: ${message}`);
        }
        // The kubelet retries mounts on its sync loop; 1 s keeps tests quick.
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    for (const runner of this.#initRunners) {
      if (this.#isTerminating()) return;
      const code = await runner.run();
      if (code !== 0) return; // Failed for good (restartPolicy Never) or stopped: pod is done.
    }
    if (this.#isTerminating()) return;
    this.#scheduleStatusWrite();
    await Promise.all(this.#runners.map((r) => r.run()));
  }

  #view(): PodView {
    return {
      sandboxReady: this.#sandboxReady,
      ...(this.#podIP ? { podIP: this.#podIP } : {}),
      hostIP: this.#ctx.hostIP,
      startTime: this.#startTime,
      initContainers: this.#initRunners.map((r) => r.view()),
      containers: this.#runners.map((r) => r.view()),
      terminating: this.#terminating,
    };
  }

  /** Coalesces changes: at most one write in flight, and one more queued behind it. */
  #scheduleStatusWrite(): void {
    if (this.#gone) return;
    this.#dirty = true;
    this.#writing ??= (async () => {
      await Promise.resolve(); // Never finish synchronously, or the ??= would keep a settled promise.
      while (this.#dirty && !this.#gone) {
        this.#dirty = false;
        const status = buildPodStatus(this.#pod, this.#view(), new Date());
        const json = JSON.stringify(status);
        if (json === this.#lastWritten) continue;
        try {
          this.#pod = await this.#ctx.api.patchPodStatus(this.#pod, status);
          this.#lastWritten = json;
        } catch (e) {
          if (isStatus(e, 404)) {
            this.#gone = true; // The pod is gone: nothing left to report to.
            break;
          }
          this.#ctx.log(`pod ${this.#name()}: status write failed, retrying: ${describeError(e)}`);
          this.#dirty = true;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      this.#writing = undefined;
    })();
  }
}
