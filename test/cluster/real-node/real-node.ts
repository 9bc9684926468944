/**
 * A real node for the test cluster: containerd, the kubelet and kube-proxy (all built from
 * their Go modules by build.sh), inside a network namespace of their own, running pods as
 * real containers from images served by a registry of this test run. The control plane is
 * started by the harness with `realNode` (Node authorizer, kube-scheduler, the API server on
 * the host's end of the node's link).
 *
 * Start: network namespace → containerd → cgroup root → kubelet (Node Ready) → kube-proxy.
 * Stop: pods deleted through the API first (so the kubelet stops containers and CNI DEL
 * removes their interfaces), then kube-proxy, kubelet, containerd; then whatever is left on
 * the host (host-state.ts, cgroups.ts) is removed, also when a step failed.
 */
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exitedReason } from '../control-plane/control-plane.ts';
import { ManagedProcess } from '../control-plane/managed-process.ts';
import { waitFor } from '../control-plane/wait.ts';
import { ip } from '../network/ip-command.ts';
import { watchUntil } from '../watch-until.ts';
import type { RealNodeAddresses } from './addresses.ts';
import { createCgroupRoot, removeCgroupRoot } from './cgroups.ts';
import { writeContainerdConfig } from './containerd.ts';
import {
  deletePodNamespaces,
  killProcessesMentioning,
  removeStaleShimSockets,
  unmountUnder,
} from './host-state.ts';
import { kubeletArgs, kubeletConfig, kubeProxyArgs } from './kubelet-config.ts';
import { kubeRouterArgs, kubeRouterSynced } from './network-policy.ts';
import { writeCniConfig } from './node-network.ts';

export interface RealNodeOptions {
  readonly dir: string;
  readonly binDir: string;
  /** Folder with containerd, containerd-shim-runc-v2 and ctr. */
  readonly runtimeBinDir: string;
  readonly addresses: RealNodeAddresses;
  readonly nodeName: string;
  readonly kubeletKubeconfig: string;
  readonly kubeProxyKubeconfig: string;
  /** Admin access, to wait for the Node and to delete pods on stop. */
  readonly kubeConfig: KubeConfig;
  /** containerd's certs.d files: `<registry host>/hosts.toml` → the test registry. */
  readonly mirrors: readonly { path: string; content: string }[];
  readonly timeoutMs?: number;
}

export interface RealNode {
  readonly nodeName: string;
  readonly containerdSocket: string;
  readonly processes: readonly ManagedProcess[];
  /** Enforces NetworkPolicy with kube-router's policy controller (its binary, kubeconfig). */
  startNetworkPolicy(policy: { binary: string; kubeconfig: string }): Promise<void>;
  /** Graceful: pods deleted through the API, then the node's processes, then host state. */
  stop(): Promise<void>;
  /** For exit hooks: kill and remove everything now, synchronously. */
  stopNow(): void;
}

const stopGraceMs = 5000;
const execFileAsync = promisify(execFile);

export async function startRealNode(options: RealNodeOptions): Promise<RealNode> {
  const { dir, addresses: a } = options;
  const logs = join(dir, 'logs');
  const inNode = ['nsenter', `--net=/run/netns/${a.netns}`, '--'];
  const processes: ManagedProcess[] = [];
  const base = join(dir, 'node');
  await mkdir(base, { recursive: true });
  const env = {
    ...process.env,
    // containerd finds its shim on PATH; the shim finds runc by the configured BinaryName.
    PATH: `${options.runtimeBinDir}:/usr/sbin:/usr/bin:/sbin:/bin`,
  };

  const stopNow = (): void => {
    for (const p of processes) p.signal('SIGKILL');
    cleanHost();
  };
  const cleanHost = (): void => {
    // Shims start their own session, so containerd's end does not take them along.
    killProcessesMentioning(join(base, 'containerd', 'containerd.sock'));
    removeStaleShimSockets();
    removeCgroupRoot(a.cgroupRoot);
    deletePodNamespaces(a.podCidr.replace(/0\/24$/, ''));
    unmountUnder(dir);
  };
  const stop = async (): Promise<void> => {
    try {
      await deletePodsOnNode(options.kubeConfig, options.nodeName);
    } catch {
      // The API server may be gone already; the host clean-up below still runs.
    }
    for (const p of [...processes].reverse()) await p.stop(stopGraceMs);
    cleanHost();
  };

  try {
    // Pods forward through the node; the kubelet's bridge traffic goes through iptables.
    await ip('netns', 'exec', a.netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    const cniConfDir = await writeCniConfig(base, a);
    const containerd = await writeContainerdConfig(base, cniConfDir, options.mirrors);
    const containerdProcess = new ManagedProcess('containerd', {
      command: join(options.runtimeBinDir, 'containerd'),
      args: [`--config=${containerd.configPath}`, '--log-level=warn'],
      logFile: join(logs, 'containerd.log'),
      prefix: inNode,
      env,
      cwd: base,
    });
    processes.push(containerdProcess);
    await waitFor(
      'containerd to answer',
      async () => {
        await runQuiet(join(options.runtimeBinDir, 'ctr'), [
          `--address=${containerd.socket}`,
          'version',
        ]);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 100, abortIf: () => exitedReason(containerdProcess) },
    );

    await createCgroupRoot(a.cgroupRoot);
    // No nameserver of the host is reachable from pods (nothing is); cluster DNS is theirs.
    const resolvConf = join(base, 'resolv.conf');
    await writeFile(resolvConf, '# pods use cluster DNS (kubelet clusterDNS)\n');
    const configPath = join(base, 'kubelet-config.yaml');
    await writeFile(
      configPath,
      kubeletConfig({
        addresses: a,
        containerdSocket: containerd.socket,
        resolvConf,
        volumePluginDir: join(base, 'volume-plugins'),
        podLogsDir: join(base, 'pod-logs'),
      }),
    );
    const kubelet = new ManagedProcess('kubelet', {
      command: join(options.binDir, 'kubelet'),
      args: kubeletArgs({
        configPath,
        kubeconfig: options.kubeletKubeconfig,
        rootDir: join(base, 'kubelet'),
        nodeName: options.nodeName,
        nodeAddress: a.nodeAddress,
      }),
      logFile: join(logs, 'kubelet.log'),
      prefix: inNode,
      env,
      cwd: base,
    });
    processes.push(kubelet);
    await watchUntil<V1Node>(
      options.kubeConfig,
      '/api/v1/nodes',
      (_type, node) =>
        node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      {
        fieldSelector: `metadata.name=${options.nodeName}`,
        timeoutMs: options.timeoutMs ?? 60_000,
      },
    ).catch((e: unknown) => {
      throw new Error(
        `the kubelet did not make Node ${options.nodeName} Ready; ${exitedReason(kubelet) ?? `log ${kubelet.logFile}:\n${kubelet.logTail()}`}`,
        { cause: e },
      );
    });
    processes.push(
      new ManagedProcess('kube-proxy', {
        command: join(options.binDir, 'kube-proxy'),
        args: kubeProxyArgs({
          kubeconfig: options.kubeProxyKubeconfig,
          nodeName: options.nodeName,
          podCidr: a.podCidr,
        }),
        logFile: join(logs, 'kube-proxy.log'),
        prefix: inNode,
        env,
        cwd: base,
      }),
    );
    /** After cluster DNS is up: a policy engine starting next to a starting CoreDNS once
     * kept it from its first sync with the API server for over a minute. */
    const startNetworkPolicy = async (policy: {
      binary: string;
      kubeconfig: string;
    }): Promise<void> => {
      const router = new ManagedProcess('kube-router', {
        command: policy.binary,
        args: kubeRouterArgs({
          kubeconfig: policy.kubeconfig,
          nodeName: options.nodeName,
          serviceCidr: a.serviceCidr,
        }),
        logFile: join(logs, 'kube-router.log'),
        prefix: inNode,
        env,
        cwd: base,
      });
      processes.push(router);
      await waitFor(
        'kube-router to write its rules',
        async () => ((await kubeRouterSynced(a.netns)) ? true : undefined),
        { timeoutMs: 90_000, intervalMs: 250, abortIf: () => exitedReason(router) },
      );
    };
    return {
      nodeName: options.nodeName,
      containerdSocket: containerd.socket,
      processes,
      startNetworkPolicy,
      stop,
      stopNow,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Deletes every pod bound to the node (grace 0: the kubelet still stops the containers and
 * runs CNI DEL) and waits until the kubelet has confirmed each deletion. Pods created
 * meanwhile by controllers stay Pending: the harness stops the scheduler first.
 */
async function deletePodsOnNode(kc: KubeConfig, nodeName: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const onNode = async (): Promise<{ name: string; namespace: string }[]> =>
    (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` })).items.map(
      (p) => ({ name: p.metadata?.name ?? '', namespace: p.metadata?.namespace ?? '' }),
    );
  for (const pod of await onNode()) {
    await core.deleteNamespacedPod({ ...pod, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
  await waitFor('the kubelet to remove every pod', async () => (await onNode()).length === 0, {
    timeoutMs: 30_000,
    intervalMs: 250,
  }).catch(() => undefined);
}

async function runQuiet(command: string, args: string[]): Promise<void> {
  await execFileAsync(command, args, { timeout: 5000 });
}
