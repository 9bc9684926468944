/**
 * The anchor: JupyterHub with KubeSpawner (bench/spawn/requirements.txt, from PyPI) against the
 * test control plane, its proxy configurable-http-proxy (npm, JupyterHub's default). A fresh
 * hub (fresh database) per measurement, spawning into a namespace of its own.
 *
 * Settings are JupyterHub's and KubeSpawner's defaults except where noted in the generated
 * config: the hub API listens on the pod bridge's address (the singleuser servers call it to
 * check tokens and report activity), storage is a dynamic PVC per user on the `standard`
 * class mounted at /home/jovyan (as Zero to JupyterHub does, and as Ganymede does), uid 1000 /
 * fsGroup 100 (Zero to JupyterHub's defaults), and generous start and HTTP timeouts (the same
 * 600 s as Ganymede's), so a slow spawn is measured rather than failed. The concurrent spawn
 * limit is left at JupyterHub's default (100).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, waitUntil, type HubProcess } from './processes.ts';

export const singleuserImage = 'quay.io/jupyterhub/k8s-singleuser-sample:4.3.0';

export interface AnchorHub {
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly process: HubProcess;
  stop(): Promise<void>;
}

function py(value: unknown): string {
  // JSON literals are Python literals for strings, numbers, lists and dicts of them.
  return JSON.stringify(value)
    .replace(/\btrue\b/g, 'True')
    .replace(/\bfalse\b/g, 'False')
    .replace(/\bnull\b/g, 'None');
}

export function anchorConfig(input: {
  dir: string;
  proxyPort: number;
  proxyApiPort: number;
  hubIp: string;
  hubPort: number;
  namespace: string;
  adminToken: string;
  chp: string;
  timeoutSeconds: number;
}): string {
  const lines = [
    'c = get_config()  # noqa: F821',
    `c.JupyterHub.ip = "127.0.0.1"`,
    `c.JupyterHub.port = ${String(input.proxyPort)}`,
    // The hub API must be reachable from the pods' network namespaces: the bridge address.
    `c.JupyterHub.hub_ip = ${py(input.hubIp)}`,
    `c.JupyterHub.hub_port = ${String(input.hubPort)}`,
    `c.JupyterHub.hub_connect_ip = ${py(input.hubIp)}`,
    `c.ConfigurableHTTPProxy.command = ${py([input.chp])}`,
    `c.ConfigurableHTTPProxy.api_url = ${py(`http://127.0.0.1:${String(input.proxyApiPort)}`)}`,
    `c.JupyterHub.db_url = ${py(`sqlite:///${join(input.dir, 'jupyterhub.sqlite')}`)}`,
    `c.JupyterHub.cookie_secret_file = ${py(join(input.dir, 'cookie_secret'))}`,
    `c.JupyterHub.pid_file = ${py(join(input.dir, 'jupyterhub.pid'))}`,
    // Leave servers running at shutdown: the benchmark deletes the namespace instead.
    'c.JupyterHub.cleanup_servers = False',
    'c.JupyterHub.authenticator_class = "dummy"',
    'c.Authenticator.allow_all = True',
    `c.JupyterHub.services = [{"name": "bench", "api_token": ${py(input.adminToken)}}]`,
    'c.JupyterHub.load_roles = [{"name": "admin", "services": ["bench"]}]',
    'c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"',
    `c.KubeSpawner.namespace = ${py(input.namespace)}`,
    `c.KubeSpawner.image = ${py(singleuserImage)}`,
    'c.KubeSpawner.uid = 1000',
    'c.KubeSpawner.fs_gid = 100',
    'c.KubeSpawner.storage_pvc_ensure = True',
    'c.KubeSpawner.storage_class = "standard"',
    'c.KubeSpawner.storage_capacity = "1Gi"',
    'c.KubeSpawner.pvc_name_template = "claim-{username}"',
    'c.KubeSpawner.volumes = [{"name": "home", "persistentVolumeClaim": {"claimName": "{pvc_name}"}}]',
    'c.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": "/home/jovyan"}]',
    `c.KubeSpawner.start_timeout = ${String(input.timeoutSeconds)}`,
    `c.KubeSpawner.http_timeout = ${String(input.timeoutSeconds)}`,
    '',
  ];
  return lines.join('\n');
}

export async function startAnchorHub(input: {
  dir: string;
  venv: string;
  chp: string;
  nodeBinDir: string;
  kubeconfigPath: string;
  hubIp: string;
  namespace: string;
  timeoutSeconds: number;
}): Promise<AnchorHub> {
  mkdirSync(input.dir, { recursive: true });
  const proxyPort = await freePort();
  const proxyApiPort = await freePort();
  const hubPort = await freePort(input.hubIp);
  const adminToken = randomBytes(24).toString('hex');
  const configFile = join(input.dir, 'jupyterhub_config.py');
  writeFileSync(
    configFile,
    anchorConfig({ ...input, proxyPort, proxyApiPort, hubPort, adminToken }),
  );
  const proc = startProcess(join(input.venv, 'bin', 'jupyterhub'), ['-f', configFile], {
    logFile: join(input.dir, 'jupyterhub.log'),
    cwd: input.dir,
    env: {
      ...process.env,
      KUBECONFIG: input.kubeconfigPath,
      // CHP is a Node program: the same Node as ours.
      PATH: `${input.nodeBinDir}:${join(input.venv, 'bin')}:${process.env['PATH'] ?? ''}`,
    },
  });
  const baseUrl = `http://127.0.0.1:${String(proxyPort)}`;
  try {
    await waitUntil(
      'JupyterHub to answer its API through its proxy',
      async () => {
        const res = await fetch(`${baseUrl}/hub/api/`, {
          headers: { authorization: `token ${adminToken}` },
        });
        await res.body?.cancel();
        return res.status === 200;
      },
      { timeoutMs: 180_000, process: proc },
    );
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { baseUrl, adminToken, process: proc, stop: () => proc.stop(15_000) };
}
