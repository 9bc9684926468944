import { stringify } from 'yaml';

export interface KubeconfigInput {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly user: string;
}

/** A kubeconfig (v1 Config) with one cluster, one user and one context named `ganymede-test`. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const name = 'ganymede-test';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: input.server,
          'certificate-authority-data': Buffer.from(input.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: input.user, user: { token: input.token } }],
    contexts: [{ name, context: { cluster: name, user: input.user, namespace: 'default' } }],
    'current-context': name,
  });
}
