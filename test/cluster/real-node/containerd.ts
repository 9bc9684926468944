/**
 * containerd for one real node: everything it owns (content, snapshots, task state, runc's
 * state, its socket) lives in the cluster's folder, so side-by-side clusters never share it.
 * Only these settings differ from `containerd config default` (config version 3):
 * - restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, so runc may not lower a
 *   sandbox's oom_score_adj to -998; without it every pod sandbox fails to start
 *   (../../../shared/docs/REAL-NODE.md §3).
 * - runc, not crun: crun 1.8 refuses this machine's hybrid cgroups.
 * - the registry mirrors under certs.d (images/registry.ts) and the pause image's real name.
 * - NRI off, so nothing is created under /var/run/nri.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ContainerdPaths {
  readonly configPath: string;
  readonly socket: string;
  readonly certsDir: string;
  readonly runcRoot: string;
}

export const pauseImage = 'registry.k8s.io/pause:3.10';

export async function writeContainerdConfig(
  dir: string,
  cniConfDir: string,
  mirrors: readonly { path: string; content: string }[],
): Promise<ContainerdPaths> {
  const base = join(dir, 'containerd');
  const certsDir = join(base, 'certs.d');
  const runcRoot = join(base, 'runc');
  await mkdir(certsDir, { recursive: true });
  for (const m of mirrors) {
    await mkdir(join(certsDir, m.path, '..'), { recursive: true });
    await writeFile(join(certsDir, m.path), m.content);
  }
  const socket = join(base, 'containerd.sock');
  const toml = `version = 3
root = ${q(join(base, 'root'))}
state = ${q(join(base, 'state'))}

[grpc]
  address = ${q(socket)}

[ttrpc]
  address = ${q(`${socket}.ttrpc`)}

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = ${q(pauseImage)}
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = ${q(certsDir)}

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '/usr/sbin/runc'
        Root = ${q(runcRoot)}
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['/usr/lib/cni']
    conf_dir = ${q(cniConfDir)}

[plugins.'io.containerd.nri.v1.nri']
  disable = true
`;
  const configPath = join(base, 'config.toml');
  await writeFile(configPath, toml);
  return { configPath, socket, certsDir, runcRoot };
}

/** A TOML literal string: our paths never contain a single quote. */
function q(value: string): string {
  if (value.includes("'")) throw new Error(`path with a quote: ${value}`);
  return `'${value}'`;
}
