/**
 * One container of a pod, run as a local process: resolve the image to a command, compute the
 * environment, start it in the pod's network namespace as the pod's user, probe it, and
 * restart it per restartPolicy with the kubelet's back-off (10 s doubling to 5 min; the first
 * restart is immediate). Reports every state change through `onChange`.
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts
 */
import { spawn } from 'node:child_process';
import { mkdir, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { V1Container, V1Pod, V1Probe } from '@kubernetes/client-node';
import { ManagedProcess } from '../control-plane/managed-process.ts';
import {
  ContainerConfigError,
  expandReferences,
  resolveEnv,
  type EnvSources,
  type PodRuntimeFacts,
} from './env.ts';
import { resolveCommand, type ImageRule } from './images.ts';
import { describeError } from './kube-api.ts';
import { translatePath, translateWord, type MountedFolder } from './paths.ts';
import type { ContainerState, ContainerView, TerminatedState } from './pod-status.ts';
import { runProbe, type ProbeTarget } from './probes.ts';

export function containerLogDir(podDir: string, container: string): string {
  return join(podDir, 'logs', container);
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const kubeletBackoff: Backoff = { initialMs: 10_000, maxMs: 300_000 };

export interface ContainerContext {
  readonly pod: () => V1Pod;
  readonly container: V1Container;
  readonly kind: 'init' | 'regular';
  readonly podDir: string;
  readonly netns: string;
  readonly facts: PodRuntimeFacts;
  readonly images: readonly ImageRule[];
  readonly volumes: ReadonlyMap<string, string>;
  readonly sources: EnvSources;
  readonly backoff: Backoff;
  readonly onChange: () => void;
  readonly event: (type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

/** A call, so TypeScript does not keep a narrowing of `aborted` across awaits. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** Sleeps, or returns early (without throwing) when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

const serviceAccountMountPrefix = '/var/run/secrets/';
const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class ContainerRunner {
  readonly #ctx: ContainerContext;
  readonly #stopped = new AbortController();
  #state: ContainerState = { kind: 'waiting', reason: 'ContainerCreating' };
  #lastState: TerminatedState | undefined;
  #restartCount = 0;
  #ready = false;
  #started = false;
  #containerID: string | undefined;
  #process: ManagedProcess | undefined;
  #graceMs = 30_000;
  #reportedWaiting = '';

  constructor(ctx: ContainerContext) {
    this.#ctx = ctx;
    this.#graceMs = (ctx.pod().spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  get name(): string {
    return this.#ctx.container.name;
  }

  view(): ContainerView {
    return {
      name: this.#ctx.container.name,
      image: this.#ctx.container.image ?? '',
      state: this.#state,
      ...(this.#lastState ? { lastState: this.#lastState } : {}),
      ready: this.#ready,
      started: this.#started,
      restartCount: this.#restartCount,
      ...(this.#containerID ? { containerID: this.#containerID } : {}),
    };
  }

  /**
   * Runs until the container will not run again: resolves with its last exit code, or
   * undefined when stopped before it ever finished.
   */
  async run(): Promise<number | undefined> {
    const signal = this.#stopped.signal;
    let pullFailures = 0;
    while (!isAborted(signal)) {
      const pod = this.#ctx.pod();
      const resolved = resolveCommand(this.#ctx.images, this.#ctx.container);
      if (!resolved.ok) {
        if (resolved.reason === 'ErrImagePull') {
          pullFailures++;
          this.#waiting('ErrImagePull', resolved.message, 'Warning', 'Failed');
          // The kubelet's next sync, a moment later, finds the image in back-off.
          await pause(2000, signal);
          if (isAborted(signal)) break;
          const image = this.#ctx.container.image ?? '';
          this.#waiting(
            'ImagePullBackOff',
            `Back-off pulling image "${image}"`,
            'Normal',
            'BackOff',
          );
          await pause(this.#delay(pullFailures), signal);
          continue;
        }
        this.#waiting('RunContainerError', resolved.message, 'Warning', 'Failed');
        await pause(this.#delay(++pullFailures), signal);
        continue;
      }
      let exit: TerminatedState;
      try {
        exit = await this.#runOnce(pod, resolved.argv, resolved.rule, resolved.fromRule);
      } catch (e) {
        // A missing Secret is the pod's problem; anything else (the API server unreachable for
        // a moment) is the node's. Both are retried, as the kubelet's sync loop would.
        const config = e instanceof ContainerConfigError;
        const message = describeError(e);
        const reason = config ? 'CreateContainerConfigError' : 'CreateContainerError';
        this.#waiting(reason, message, 'Warning', 'Failed');
        await pause(2000, signal);
        continue;
      }
      if (!this.#shouldRestart(exit.exitCode) || isAborted(signal)) return exit.exitCode;
      this.#lastState = exit;
      const ranMs = exit.finishedAt.getTime() - exit.startedAt.getTime();
      // A container that ran for twice the maximum back-off starts over (kubelet behaviour).
      const delay = ranMs > 2 * this.#ctx.backoff.maxMs ? 0 : this.#delay(this.#restartCount);
      if (delay > 0) {
        const p = this.#ctx.pod();
        const message = `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name} pod=${p.metadata?.name ?? ''}_${p.metadata?.namespace ?? ''}(${p.metadata?.uid ?? ''})`;
        this.#waiting('CrashLoopBackOff', message, 'Warning', 'BackOff');
        await pause(delay, signal);
      }
      this.#restartCount++;
    }
    return undefined;
  }

  /** Stops for good: SIGTERM, `graceMs`, SIGKILL. Idempotent. */
  async stop(graceMs: number): Promise<void> {
    this.#graceMs = graceMs;
    this.#stopped.abort();
    await this.#process?.stop(graceMs);
  }

  /** 0 for the first restart, then initial × 2^(n-1), capped. */
  #delay(n: number): number {
    if (n <= 0) return 0;
    return Math.min(this.#ctx.backoff.initialMs * 2 ** (n - 1), this.#ctx.backoff.maxMs);
  }

  #shouldRestart(exitCode: number): boolean {
    const policy = this.#ctx.pod().spec?.restartPolicy ?? 'Always';
    if (this.#ctx.kind === 'init') return exitCode !== 0 && policy !== 'Never';
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  }

  #waiting(reason: string, message: string, type: 'Normal' | 'Warning', eventReason: string): void {
    this.#state = { kind: 'waiting', reason, message };
    this.#ready = false;
    this.#ctx.onChange();
    const key = `${reason}:${message}`;
    if (key !== this.#reportedWaiting) {
      this.#reportedWaiting = key;
      this.#ctx.event(type, eventReason, message);
    }
  }

  #user(pod: V1Pod, rule: ImageRule): { uid: number; gid: number; groups: number[] } {
    const podSc = pod.spec?.securityContext;
    const sc = this.#ctx.container.securityContext;
    const uid = sc?.runAsUser ?? podSc?.runAsUser ?? rule.user?.uid ?? 0;
    const gid = sc?.runAsGroup ?? podSc?.runAsGroup ?? rule.user?.gid ?? 0;
    const groups = [
      ...(podSc?.fsGroup !== undefined ? [podSc.fsGroup] : []),
      ...(podSc?.supplementalGroups ?? []),
    ];
    if ((sc?.runAsNonRoot ?? podSc?.runAsNonRoot) && uid === 0) {
      throw new ContainerConfigError('container has runAsNonRoot and image will run as root');
    }
    return { uid, gid, groups };
  }

  #mounts(): MountedFolder[] {
    return (this.#ctx.container.volumeMounts ?? []).flatMap((m) => {
      const folder = this.#ctx.volumes.get(m.name);
      if (folder === undefined) return [];
      return [{ mountPath: m.mountPath, hostPath: m.subPath ? join(folder, m.subPath) : folder }];
    });
  }

  /** Enters the pod's network namespace (nsenter, util-linux). */
  #prefix(): string[] {
    return ['nsenter', `--net=/run/netns/${this.#ctx.netns}`, '--'];
  }

  /** Becomes the pod's user and groups (setpriv, util-linux). */
  #setpriv(user: { uid: number; gid: number; groups: number[] }): string[] {
    return [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups',
    ];
  }

  async #runOnce(
    pod: V1Pod,
    argv: readonly [string, ...string[]],
    rule: ImageRule,
    fromRule: number,
  ): Promise<TerminatedState> {
    const user = this.#user(pod, rule);
    const mounts = this.#mounts();
    for (const m of mounts) {
      if (this.#ctx.container.volumeMounts?.find((v) => v.mountPath === m.mountPath)?.subPath) {
        await mkdir(m.hostPath, { recursive: true });
      }
    }
    const env = await resolveEnv(
      pod,
      this.#ctx.container,
      this.#ctx.facts,
      this.#ctx.sources,
      rule.env,
    );
    const rootfs = join(this.#ctx.podDir, 'rootfs');
    // HOME under a volume is that folder; anywhere else it lives in the pod's own folder,
    // like a container's writable layer. Decided on the value as the pod spec wrote it.
    const specHome = env['HOME'] ?? '/root';
    for (const [k, v] of Object.entries(env)) env[k] = translateWord(v, mounts);
    const homeDir = translatePath(specHome, mounts) ?? join(rootfs, specHome);
    env['HOME'] = homeDir;
    env['PATH'] ??= defaultPath;
    env['HOSTNAME'] = pod.metadata?.name ?? '';
    await mkdir(homeDir, { recursive: true });
    if (homeDir.startsWith(rootfs)) await chown(homeDir, user.uid, user.gid);
    const workingDir = this.#ctx.container.workingDir;
    const cwd =
      (workingDir ? (translatePath(workingDir, mounts) ?? join(rootfs, workingDir)) : undefined) ??
      // The injected service-account token mount often comes first but is nobody's working dir.
      mounts.find((m) => !m.mountPath.startsWith(serviceAccountMountPrefix))?.hostPath ??
      '/tmp';
    await mkdir(cwd, { recursive: true });
    // $(VAR) in command and args expands from the container's env, as the kubelet does.
    // Words the image rule supplied are host paths (the repo may live under /tmp, a common
    // mountPath): only the container's own words are container paths.
    const [program, ...args] = argv.map((w, i) =>
      i < fromRule ? w : translateWord(expandReferences(w, env), mounts),
    ) as [string, ...string[]];
    // One file per run, like /var/log/pods/<pod>/<container>/<restart>.log: `logs --previous`.
    const logs = containerLogDir(this.#ctx.podDir, this.name);
    await mkdir(logs, { recursive: true });
    const containerID = `ganymede://${pod.metadata?.uid ?? ''}/${this.name}/${this.#restartCount}`;
    const proc = new ManagedProcess(`${pod.metadata?.name ?? ''}/${this.name}`, {
      command: program,
      args,
      env,
      cwd,
      logFile: join(logs, `${this.#restartCount}.log`),
      prefix: this.#prefix(),
      setpriv: this.#setpriv(user),
    });
    this.#process = proc;
    const startedAt = new Date();
    this.#containerID = containerID;
    this.#state = { kind: 'running', startedAt };
    this.#started = !this.#ctx.container.startupProbe;
    this.#ready =
      this.#started && !this.#ctx.container.readinessProbe && this.#ctx.kind === 'regular';
    this.#reportedWaiting = '';
    this.#ctx.onChange();
    this.#ctx.event('Normal', 'Started', `Started container ${this.name}`);
    const probing = new AbortController();
    const probes = this.#probeLoops(proc, probing.signal, user, mounts, env, cwd);
    const info = await proc.exited;
    probing.abort();
    await probes;
    const finishedAt = new Date();
    const exitCode = info.code ?? (info.signal ? 128 + constants.signals[info.signal] : 1);
    const policy = this.#ctx.container.terminationMessagePolicy;
    const message =
      policy === 'FallbackToLogsOnError' && exitCode !== 0
        ? proc.logTail(80).slice(-2048)
        : undefined;
    const terminated: TerminatedState = {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt,
      finishedAt,
      containerID,
    };
    this.#state = { kind: 'terminated', ...terminated };
    this.#ready = false;
    this.#process = undefined;
    this.#ctx.onChange();
    return terminated;
  }

  async #probeLoops(
    proc: ManagedProcess,
    signal: AbortSignal,
    user: { uid: number; gid: number; groups: number[] },
    mounts: readonly MountedFolder[],
    env: Record<string, string>,
    cwd: string,
  ): Promise<void> {
    const c = this.#ctx.container;
    const target: ProbeTarget = {
      podIP: this.#ctx.facts.podIP,
      ports: c.ports ?? [],
      exec: (command, timeoutMs) => this.#exec(command, timeoutMs, user, mounts, env, cwd),
    };
    if (c.startupProbe) {
      const ok = await this.#probeLoop('Startup', c.startupProbe, target, signal, (passed) => {
        if (passed) {
          this.#started = true;
          this.#ready = this.#ready || (!c.readinessProbe && this.#ctx.kind === 'regular');
          this.#ctx.onChange();
          return 'stop';
        }
        return 'continue';
      });
      if (!ok) {
        this.#ctx.event(
          'Normal',
          'Killing',
          `Container ${this.name} failed startup probe, will be restarted`,
        );
        await proc.stop(this.#graceMs);
        return;
      }
    }
    const loops: Promise<unknown>[] = [];
    if (c.readinessProbe) {
      loops.push(
        this.#probeLoop('Readiness', c.readinessProbe, target, signal, (passed) => {
          if (passed !== this.#ready) {
            this.#ready = passed;
            this.#ctx.onChange();
          }
          return 'continue';
        }),
      );
    }
    if (c.livenessProbe) {
      loops.push(
        this.#probeLoop('Liveness', c.livenessProbe, target, signal, () => 'continue').then(
          async (ok) => {
            if (ok || isAborted(signal)) return;
            this.#ctx.event(
              'Normal',
              'Killing',
              `Container ${this.name} failed liveness probe, will be restarted`,
            );
            await proc.stop(this.#graceMs);
          },
        ),
      );
    }
    await Promise.all(loops);
  }

  /**
   * Probes every periodSeconds after initialDelaySeconds, applying success/failure
   * thresholds. `onResult` sees each thresholded outcome. Resolves false when the failure
   * threshold was reached for a probe whose failure ends the loop (startup, liveness), true
   * when `onResult` said stop, or when aborted.
   */
  async #probeLoop(
    kind: 'Startup' | 'Readiness' | 'Liveness',
    probe: V1Probe,
    target: ProbeTarget,
    signal: AbortSignal,
    onResult: (passed: boolean) => 'stop' | 'continue',
  ): Promise<boolean> {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const successThreshold = probe.successThreshold ?? 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    await pause((probe.initialDelaySeconds ?? 0) * 1000, signal);
    let successes = 0;
    let failures = 0;
    while (!isAborted(signal)) {
      const result = await runProbe(probe, target);
      if (isAborted(signal)) break;
      if (result.ok) {
        failures = 0;
        if (++successes >= successThreshold && onResult(true) === 'stop') return true;
      } else {
        successes = 0;
        failures++;
        this.#ctx.event('Warning', 'Unhealthy', `${kind} probe failed: ${result.message}`);
        if (failures >= failureThreshold) {
          if (kind !== 'Readiness') return false;
          onResult(false);
        }
      }
      await pause(period, signal);
    }
    return true;
  }

  #exec(
    command: readonly string[],
    timeoutMs: number,
    user: { uid: number; gid: number; groups: number[] },
    mounts: readonly MountedFolder[],
    env: Record<string, string>,
    cwd: string,
  ): Promise<number> {
    const rule = resolveCommand(this.#ctx.images, {
      ...(this.#ctx.container.image ? { image: this.#ctx.container.image } : {}),
      command: [...command],
      args: [],
    });
    if (!rule.ok) return Promise.resolve(126);
    const [program, ...args] = [
      ...this.#prefix(),
      'setpriv',
      ...this.#setpriv(user),
      '--',
      ...rule.argv.map((w, i) => (i < rule.fromRule ? w : translateWord(w, mounts))),
    ] as [string, ...string[]];
    return new Promise((resolve) => {
      const child = spawn(program, args, { env, cwd, stdio: 'ignore', timeout: timeoutMs });
      child.on('error', () => {
        resolve(127);
      });
      child.on('exit', (code) => {
        resolve(code ?? 1);
      });
    });
  }
}
