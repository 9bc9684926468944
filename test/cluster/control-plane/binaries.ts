/**
 * Where the control plane binaries are: GANYMEDE_CLUSTER_BIN when set (scripts/test.sh exports
 * it), else whatever test/cluster/build.sh prints (it builds them once into a version-keyed
 * cache outside the repository and answers instantly afterwards).
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const requiredBinaries = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'];
/** What a real node adds (build.sh builds them into the same folder). */
export const realNodeBinaries = [
  'kubelet',
  'kube-scheduler',
  'kube-proxy',
  'containerd',
  'containerd-shim-runc-v2',
  'ctr',
  'coredns',
  'pause',
];

const buildScript = fileURLToPath(new URL('../build.sh', import.meta.url));

export async function resolveBinaries(
  env: NodeJS.ProcessEnv = process.env,
  required: readonly string[] = requiredBinaries,
): Promise<string> {
  const binDir = env['GANYMEDE_CLUSTER_BIN']?.trim()
    ? env['GANYMEDE_CLUSTER_BIN']
    : await runBuildScript();
  for (const name of required) {
    try {
      await access(join(binDir, name), constants.X_OK);
    } catch {
      throw new Error(
        `test cluster binary ${name} missing in ${binDir} (GANYMEDE_CLUSTER_BIN); run test/cluster/build.sh`,
      );
    }
  }
  return binDir;
}

function runBuildScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('bash', [buildScript], { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) reject(new Error(`test/cluster/build.sh failed: ${error.message}`));
      else resolve(stdout.trim().split('\n').pop() ?? '');
    });
    // Progress lines go to our stderr: a cold build takes minutes and should not look hung.
    child.stderr?.pipe(process.stderr);
  });
}
