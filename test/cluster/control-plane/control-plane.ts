/**
 * etcd + kube-apiserver + kube-controller-manager as local processes in one folder, on free
 * loopback ports. Stopped in reverse order: an API server whose etcd is gone hangs on
 * SIGTERM, so etcd goes last.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  apiServerArgs,
  controllerManagerArgs,
  etcdArgs,
  schedulerArgs,
  type EtcdPorts,
} from './component-args.ts';
import { makeCredentials, tokenFile } from './credentials.ts';
import { httpsGet } from './https-get.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { ManagedProcess, type SpawnOptions } from './managed-process.ts';
import { freeLoopbackPort } from './ports.ts';
import { waitFor } from './wait.ts';

export interface ControlPlaneOptions {
  readonly dir: string;
  readonly binDir: string;
  readonly advertiseAddress?: string;
  readonly serviceClusterIpRange?: string;
  readonly timeoutMs?: number;
  /**
   * A real kubelet named `nodeName` will join: its token, the Node authorizer, kube-scheduler
   * (nothing else binds pods then), and the API server listening on `bindAddress`, an address
   * of this machine the node's network namespace can reach.
   */
  readonly realNode?: { readonly nodeName: string; readonly bindAddress: string };
}

/** Kubeconfigs for the components of a real node, each with its own identity. */
export interface NodeKubeconfigs {
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly kubeRouter: string;
}

/** The components a fault test may stop and start again (../faults.ts). */
export type RestartableComponent = 'etcd' | 'kube-apiserver';

export interface ControlPlane {
  readonly server: string;
  readonly adminToken: string;
  readonly caPem: string;
  readonly adminKubeconfigPath: string;
  /** The running processes; a component started again replaces its entry. */
  readonly processes: readonly ManagedProcess[];
  /** Present when started with `realNode`. */
  readonly nodeKubeconfigs?: NodeKubeconfigs;
  /**
   * Stops one component (SIGTERM, SIGKILL after 5 s). Its data folder, port and serving
   * certificate stay, for `startComponent`.
   */
  stopComponent(name: RestartableComponent): Promise<void>;
  /**
   * Starts a stopped component again with the same command line (port, data, certificates,
   * flags); resolves when it answers its health check (etcd `/health`, the API server
   * `/readyz`, which needs etcd).
   */
  startComponent(name: RestartableComponent): Promise<void>;
  /** Resolves when the API server answers `/readyz` (after etcd came back, say). */
  apiServerReady(): Promise<void>;
  stop(): Promise<void>;
}

const stopGraceMs = 5000;
const startAttempts = 3;

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { dir, binDir } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  const credentials = makeCredentials();
  const tokensPath = join(dir, 'tokens.csv');
  const saKeyPath = join(dir, 'service-account.key');
  await writeFile(tokensPath, tokenFile(credentials, options.realNode?.nodeName), {
    mode: 0o600,
  });
  const host = options.realNode?.bindAddress ?? '127.0.0.1';
  await writeFile(saKeyPath, credentials.serviceAccountKeyPem, { mode: 0o600 });

  const processes: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const p of [...processes].reverse()) await p.stop(stopGraceMs);
  };
  try {
    const etcd = await startWithFreshPorts('etcd', async () => {
      const ports: EtcdPorts = { client: await freeLoopbackPort(), peer: await freeLoopbackPort() };
      // A failed attempt's data dir remembers its peer URL; start clean.
      await rm(join(dir, 'etcd'), { recursive: true, force: true });
      return {
        spawn: {
          command: join(binDir, 'etcd'),
          args: etcdArgs(join(dir, 'etcd'), ports),
          logFile: join(logs, 'etcd.log'),
          cwd: dir,
        },
        ready: (proc) =>
          waitFor(
            'etcd /health',
            async () => {
              const res = await fetch(`http://127.0.0.1:${ports.client}/health`);
              const body = (await res.json()) as { health?: string };
              return body.health === 'true' ? ports : undefined;
            },
            { timeoutMs, abortIf: () => exitedReason(proc) },
          ),
      };
    });
    processes.push(etcd.proc);

    const certDir = join(dir, 'apiserver-certs');
    const api = await startWithFreshPorts('kube-apiserver', async () => {
      const securePort = await freeLoopbackPort();
      const spawn: SpawnOptions = {
        command: join(binDir, 'kube-apiserver'),
        args: apiServerArgs({
          etcdClientPort: etcd.value.client,
          securePort,
          certDir,
          tokenFile: tokensPath,
          serviceAccountKeyFile: saKeyPath,
          serviceClusterIpRange: options.serviceClusterIpRange ?? '10.96.0.0/16',
          ...(options.advertiseAddress ? { advertiseAddress: options.advertiseAddress } : {}),
          ...(options.realNode ? { realNode: true, bindAddress: host } : {}),
        }),
        logFile: join(logs, 'kube-apiserver.log'),
        cwd: dir,
      };
      const server = `https://${host}:${securePort}`;
      return {
        spawn,
        ready: (proc) =>
          waitFor(
            'kube-apiserver /readyz',
            async () => {
              // The serving certificate file holds the leaf and its self-signed CA.
              const caPem = await readFile(join(certDir, 'apiserver.crt'), 'utf8');
              const res = await httpsGet(`${server}/readyz`, {
                caPem,
                token: credentials.adminToken,
              });
              return res.status === 200 ? { server, caPem } : undefined;
            },
            { timeoutMs, intervalMs: 200, abortIf: () => exitedReason(proc) },
          ),
      };
    });
    processes.push(api.proc);
    const { server, caPem } = api.value;
    const components = { etcd, 'kube-apiserver': api } as const;
    const caPath = join(dir, 'ca.crt');
    await writeFile(caPath, caPem);

    const adminKubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(
      adminKubeconfigPath,
      renderKubeconfig({ server, caPem, token: credentials.adminToken, user: 'admin' }),
      { mode: 0o600 },
    );
    const kcmKubeconfigPath = join(dir, 'kube-controller-manager.kubeconfig');
    await writeFile(
      kcmKubeconfigPath,
      renderKubeconfig({
        server,
        caPem,
        token: credentials.controllerManagerToken,
        user: 'system:kube-controller-manager',
      }),
      { mode: 0o600 },
    );
    processes.push(
      new ManagedProcess('kube-controller-manager', {
        command: join(binDir, 'kube-controller-manager'),
        args: controllerManagerArgs({
          kubeconfig: kcmKubeconfigPath,
          serviceAccountKeyFile: saKeyPath,
          rootCaFile: caPath,
        }),
        logFile: join(logs, 'kube-controller-manager.log'),
        cwd: dir,
      }),
    );
    let nodeKubeconfigs: NodeKubeconfigs | undefined;
    if (options.realNode) {
      const kubeconfigFor = async (name: string, token: string, user: string): Promise<string> => {
        const path = join(dir, `${name}.kubeconfig`);
        await writeFile(path, renderKubeconfig({ server, caPem, token, user }), { mode: 0o600 });
        return path;
      };
      const scheduler = await kubeconfigFor(
        'kube-scheduler',
        credentials.schedulerToken,
        'system:kube-scheduler',
      );
      processes.push(
        new ManagedProcess('kube-scheduler', {
          command: join(binDir, 'kube-scheduler'),
          args: schedulerArgs({ kubeconfig: scheduler }),
          logFile: join(logs, 'kube-scheduler.log'),
          cwd: dir,
        }),
      );
      const { nodeName } = options.realNode;
      nodeKubeconfigs = {
        kubelet: await kubeconfigFor(
          'kubelet',
          credentials.kubeletToken,
          `system:node:${nodeName}`,
        ),
        kubeProxy: await kubeconfigFor('kube-proxy', credentials.proxyToken, 'system:kube-proxy'),
        kubeRouter: await kubeconfigFor(
          'kube-router',
          credentials.kubeRouterToken,
          'system:kube-router',
        ),
      };
    }
    const indexOf = (name: RestartableComponent): number => {
      const i = processes.findIndex((p) => p.name === name);
      if (i < 0) throw new Error(`no ${name} in this control plane`);
      return i;
    };
    return {
      server,
      adminToken: credentials.adminToken,
      caPem,
      adminKubeconfigPath,
      processes,
      ...(nodeKubeconfigs ? { nodeKubeconfigs } : {}),
      async stopComponent(name) {
        await processes[indexOf(name)]?.stop(stopGraceMs);
      },
      async startComponent(name) {
        const i = indexOf(name);
        if (processes[i]?.exitInfo === undefined) throw new Error(`${name} is still running`);
        const { spawn, ready } = components[name];
        const proc = new ManagedProcess(name, spawn);
        processes[i] = proc;
        try {
          await ready(proc);
        } catch (e) {
          throw new Error(`${name} did not start again (same port and flags)`, { cause: e });
        }
      },
      async apiServerReady() {
        await api.ready(processes[indexOf('kube-apiserver')]!);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** "exited with code 1: <log tail>" once the process is gone, else undefined. */
export function exitedReason(proc: ManagedProcess): string | undefined {
  const info = proc.exitInfo;
  if (!info) return undefined;
  return `${proc.name} exited (code ${info.code ?? 'none'}, signal ${info.signal ?? 'none'}); log ${proc.logFile}:\n${proc.logTail()}`;
}

/**
 * Starts a server on ports picked just before; if another process grabbed one in between
 * ("address already in use"), tries again with new ports.
 */
async function startWithFreshPorts<T>(
  name: string,
  attempt: () => Promise<{ spawn: SpawnOptions; ready: (proc: ManagedProcess) => Promise<T> }>,
): Promise<{
  proc: ManagedProcess;
  value: T;
  /** How it was started, to start it again the same way. */
  spawn: SpawnOptions;
  ready: (proc: ManagedProcess) => Promise<T>;
}> {
  for (let i = 1; ; i++) {
    const { spawn, ready } = await attempt();
    const proc = new ManagedProcess(name, spawn);
    try {
      return { proc, value: await ready(proc), spawn, ready };
    } catch (e) {
      await proc.stop(stopGraceMs);
      const portTaken = /address already in use/i.test(proc.logTail(100));
      if (!portTaken || i >= startAttempts) {
        throw new Error(`${name} did not start`, { cause: e });
      }
    }
  }
}
