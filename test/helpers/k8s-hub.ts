/**
 * Starts a real hub in this process with the Kubernetes backend against a test cluster
 * (test/cluster/harness.ts): its store (SQLite in a temporary folder, or the URL given), the
 * backend, and, with `runOperator`, the leader-elected operator and culler, as `serve` does.
 * Use `Browser` from ./test-hub.ts to talk to it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubernetesHubParts } from '../../src/backends/kubernetes/in-hub.ts';
import { parseConfig } from '../../src/config/load.ts';
import { startHub, type Hub } from '../../src/hub/hub.ts';
import { silentLogger, type Logger } from '../../src/logging/logger.ts';
import { openStore } from '../../src/store/open-store.ts';
import { ADMIN_PASSWORD } from './test-hub.ts';

export interface K8sHubOptions {
  readonly kubeconfigPath: string;
  readonly namespace: string;
  /** Default: SQLite in a temporary folder. */
  readonly storeUrl?: string;
  readonly runOperator?: boolean;
  /** Profiles (default: the schema's) and any other configuration keys. */
  readonly config?: Record<string, unknown>;
  /** More `backend.kubernetes` keys (e.g. `nodeLostSeconds`). */
  readonly kubernetes?: Record<string, unknown>;
  readonly log?: Logger;
}

export async function startK8sHub(options: K8sHubOptions) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ganymede-k8s-hub-'));
  const config = parseConfig({
    hub: { port: 0, dataDir },
    ...(options.storeUrl ? { store: { url: options.storeUrl } } : {}),
    backend: {
      type: 'kubernetes',
      kubernetes: {
        namespace: options.namespace,
        kubeconfig: options.kubeconfigPath,
        runOperator: options.runOperator ?? false,
        startTimeoutSeconds: 240,
        ...options.kubernetes,
      },
    },
    ...options.config,
  });
  const log = options.log ?? silentLogger;
  const store = await openStore(config.store.url, dataDir);
  const parts = await startKubernetesHubParts({ config: config.backend.kubernetes, log });
  const hub: Hub = await startHub({
    config,
    store,
    backend: parts.backend,
    log,
    adminPassword: ADMIN_PASSWORD,
    isLeader: parts.isLeader,
  });
  return {
    hub,
    parts,
    dataDir,
    async close() {
      await hub.close();
      await parts.close();
    },
  };
}
