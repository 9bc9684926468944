/**
 * The control plane's secrets, made fresh for each harness: a static token file (admin in
 * system:masters; the controller manager as the user its bootstrap RBAC roles are bound to)
 * and one RSA key that signs and verifies service-account tokens.
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface ControlPlaneCredentials {
  readonly adminToken: string;
  readonly controllerManagerToken: string;
  /** For a real node: the kubelet (system:node:<name> in system:nodes), scheduler, kube-proxy. */
  readonly kubeletToken: string;
  readonly schedulerToken: string;
  readonly proxyToken: string;
  /** kube-router's network policy controller (system:kube-router). */
  readonly kubeRouterToken: string;
  /** PKCS#8 PEM; kube-apiserver accepts a private key as --service-account-key-file too. */
  readonly serviceAccountKeyPem: string;
}

export function makeCredentials(): ControlPlaneCredentials {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    adminToken: randomBytes(24).toString('hex'),
    controllerManagerToken: randomBytes(24).toString('hex'),
    kubeletToken: randomBytes(24).toString('hex'),
    schedulerToken: randomBytes(24).toString('hex'),
    proxyToken: randomBytes(24).toString('hex'),
    kubeRouterToken: randomBytes(24).toString('hex'),
    serviceAccountKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * The CSV format: token,user,uid,"group1,group2". The users are the ones Kubernetes' bootstrap
 * RBAC roles and the Node authorizer expect (system:node:<name>, system:kube-scheduler,
 * system:kube-proxy), so each component gets exactly the rights it has in a real cluster.
 */
export function tokenFile(credentials: ControlPlaneCredentials, nodeName?: string): string {
  return [
    `${credentials.adminToken},admin,admin,"system:masters"`,
    `${credentials.controllerManagerToken},system:kube-controller-manager,kube-controller-manager,`,
    ...(nodeName
      ? [
          `${credentials.kubeletToken},system:node:${nodeName},kubelet-${nodeName},"system:nodes"`,
          `${credentials.schedulerToken},system:kube-scheduler,kube-scheduler,`,
          `${credentials.proxyToken},system:kube-proxy,kube-proxy,`,
          `${credentials.kubeRouterToken},system:kube-router,kube-router,`,
        ]
      : []),
    '',
  ].join('\n');
}
