/** Runs the built kubectl against one cluster; waits for the controller manager. */
import { spawn } from 'node:child_process';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';
import { waitFor } from './wait.ts';

export function runKubectl(
  kubectl: string,
  kubeconfigPath: string,
  args: readonly string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, [`--kubeconfig=${kubeconfigPath}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/**
 * The controller manager has no port we open; it is working once its service-account
 * controller has created `default/default`, which the ServiceAccount admission plugin needs
 * before any pod can be created in that namespace.
 */
export async function waitForControllerManager(kc: KubeConfig, cp: ControlPlane): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const kcm = cp.processes.find((p) => p.name === 'kube-controller-manager');
  await waitFor(
    'kube-controller-manager to create ServiceAccount default/default',
    async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      abortIf: () =>
        kcm?.exitInfo
          ? `kube-controller-manager exited; see ${kcm.logFile}:\n${kcm.logTail()}`
          : undefined,
    },
  );
}
