/**
 * Plays the hub image's ENTRYPOINT (`node src/cli/main.ts`, deploy/docker/Dockerfile) on the
 * test node agent. A container finds the API server through its service-account files at
 * /var/run/secrets/kubernetes.io/serviceaccount; here those files sit in the pod's volume
 * folder (the agent passes it, translated, as GANYMEDE_TEST_SA_DIR) and the API server's
 * address for pods is GANYMEDE_TEST_APISERVER. This writes the equivalent kubeconfig
 * (token read from the file on every request, as in-cluster clients do) and runs the CLI, so
 * the hub acts with its own ServiceAccount and is held to the chart's RBAC.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.ts';

const saDir = process.env['GANYMEDE_TEST_SA_DIR'];
const server = process.env['GANYMEDE_TEST_APISERVER'];
if (saDir && server && existsSync(join(saDir, 'token'))) {
  const kubeDir = join(homedir(), '.kube');
  mkdirSync(kubeDir, { recursive: true });
  const path = join(kubeDir, 'config');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'in-cluster', cluster: { server, 'certificate-authority': join(saDir, 'ca.crt') } },
      ],
      users: [{ name: 'service-account', user: { 'token-file': join(saDir, 'token') } }],
      contexts: [
        { name: 'in-cluster', context: { cluster: 'in-cluster', user: 'service-account' } },
      ],
      'current-context': 'in-cluster',
    }),
    { mode: 0o600 },
  );
  process.env['KUBECONFIG'] = path;
} else {
  process.stderr.write(
    `hub-entry: no service-account token in ${saDir ?? '(unset)'} or no GANYMEDE_TEST_APISERVER; default credentials\n`,
  );
}
process.exitCode = await main(process.argv.slice(2));
