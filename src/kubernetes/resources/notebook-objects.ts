/**
 * Everything one `JupyterNotebook` becomes, as plain objects: `ganymede render` prints this
 * list and the operator applies it, so what you read is what runs. Pure: the token is an input.
 */
import type { KubeObject } from '../plain.ts';
import type { JupyterNotebook } from '../../notebook-spec/resource.ts';
import { buildDeployment } from './deployment.ts';
import { buildIngress } from './ingress.ts';
import { buildNetworkPolicy } from './network-policy.ts';
import { buildSecret } from './secret.ts';
import { buildService } from './service.ts';
import type { BuildSettings } from './settings.ts';
import { buildClaim } from './storage.ts';

/** Objects applied with server-side apply on every reconcile (the Secret is created once). */
export function buildAppliedObjects(
  notebook: JupyterNotebook,
  settings: BuildSettings,
): KubeObject[] {
  const claim = buildClaim(notebook);
  const ingress = buildIngress(notebook);
  return [
    ...(claim ? [claim] : []),
    buildService(notebook),
    buildNetworkPolicy(notebook, settings),
    ...(ingress ? [ingress] : []),
    // Last: its pod needs the Secret and the claim, which are in place by then.
    buildDeployment(notebook, settings),
  ];
}

/** All objects in creation order: Secret, claim, Service, NetworkPolicy, Ingress, Deployment. */
export function buildNotebookObjects(
  notebook: JupyterNotebook,
  settings: BuildSettings,
  token: string,
): KubeObject[] {
  return [buildSecret(notebook, token), ...buildAppliedObjects(notebook, settings)];
}
