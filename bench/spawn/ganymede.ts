/**
 * Ganymede's hub with the Kubernetes backend (`ganymede serve`, backend.type kubernetes, the
 * operator inside the hub), as its own process against the test control plane: a fresh hub
 * (fresh SQLite store) per measurement, its notebooks in a namespace of its own. One profile,
 * docker-stacks' minimal-notebook image (played by the anchor venv's `jupyter lab`), no CPU or
 * memory requests (the one test node has 2 CPUs; KubeSpawner requests none either), and the
 * same 600 s start timeout as the anchor's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Browser } from '../../test/helpers/test-hub.ts';
import { freePort, startProcess, waitUntil, type HubProcess } from './processes.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const notebookImage = 'quay.io/jupyter/minimal-notebook:latest';

export interface GanymedeHub {
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly process: HubProcess;
  stop(): Promise<void>;
}

export async function startGanymedeHub(input: {
  dir: string;
  kubeconfigPath: string;
  namespace: string;
  timeoutSeconds: number;
  /** Start admission limit (backend.kubernetes.maxStartingServers). */
  maxStarting: number | 'auto';
  /** The profile's image (default: notebookImage, played by the node agent). */
  image?: string;
}): Promise<GanymedeHub> {
  mkdirSync(input.dir, { recursive: true });
  const port = await freePort();
  const password = 'bench-admin-password';
  const config = {
    hub: { host: '127.0.0.1', port, dataDir: join(input.dir, 'data') },
    backend: {
      type: 'kubernetes',
      kubernetes: {
        namespace: input.namespace,
        kubeconfig: input.kubeconfigPath,
        runOperator: true,
        startTimeoutSeconds: input.timeoutSeconds,
        maxStartingServers: input.maxStarting,
      },
    },
    profiles: [
      {
        name: 'standard',
        displayName: 'Standard',
        image: input.image ?? notebookImage,
        default: true,
      },
    ],
  };
  const configFile = join(input.dir, 'ganymede.yaml');
  // JSON is YAML.
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const proc = startProcess(process.execPath, [cliMain, 'serve', '--config', configFile], {
    logFile: join(input.dir, 'ganymede.log'),
    cwd: input.dir,
    env: { ...process.env, GANYMEDE_ADMIN_PASSWORD: password, KUBECONFIG: input.kubeconfigPath },
  });
  const baseUrl = `http://127.0.0.1:${String(port)}`;
  try {
    await waitUntil(
      'Ganymede to answer /ready',
      async () => {
        const res = await fetch(`${baseUrl}/ready`);
        await res.body?.cancel();
        return res.status === 200;
      },
      { timeoutMs: 180_000, process: proc },
    );
    // An admin token the way a person gets one: signed in, through the API.
    const browser = new Browser(baseUrl);
    await browser.signIn('admin', password);
    const res = await browser.fetch('/hub/api/users/admin/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-XSRFToken': await browser.xsrf() },
      body: JSON.stringify({ note: 'spawn benchmark' }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`admin token: ${String(res.status)} ${text}`);
    const adminToken = (JSON.parse(text) as { token: string }).token;
    return { baseUrl, adminToken, process: proc, stop: () => proc.stop(15_000) };
  } catch (e) {
    await proc.stop();
    throw e;
  }
}
