/**
 * The notebook's Deployment: one pod running `jupyter <interface>` with the user's home volume.
 */
import type { Container, Deployment, EnvVar, ResourceRequirements } from '../plain.ts';
import type { JupyterNotebook } from '../../notebook-spec/resource.ts';
import {
  hubServerArguments,
  jupyterHubEnv,
  type JupyterHubEnvInput,
} from '../../notebook-spec/jupyterhub-env.ts';
import type { NotebookSpec } from '../../notebook-spec/schema.ts';
import { notebookLabels, notebookAnnotations, notebookSelector } from '../labels.ts';
import { notebookObjectNames } from '../object-names.ts';
import { objectMeta } from './metadata.ts';
import { extraVolumes, podPlacement } from './pod-options.ts';
import {
  CONTAINER_NAME,
  HOME_DIR,
  JOVYAN_UID,
  NOTEBOOK_PORT,
  NOTEBOOK_PORT_NAME,
  TOKEN_KEY,
  USERS_GID,
  type BuildSettings,
} from './settings.ts';

/**
 * Explicit command and arguments rather than the image's entry point, so every image runs the
 * server the same way: under the hub's base URL, on all addresses of the pod, with the home
 * volume as its root. The token comes from `JUPYTER_TOKEN`, which jupyter_server reads
 * (https://jupyter-server.readthedocs.io/en/latest/operators/public-server.html).
 */
export function jupyterCommand(spec: NotebookSpec): { command: string[]; args: string[] } {
  const hub = hubEnvInput(spec);
  return {
    command: ['jupyter', spec.interface],
    args: [
      `--ServerApp.base_url=${spec.baseUrl}`,
      `--ServerApp.ip=0.0.0.0`,
      `--ServerApp.port=${NOTEBOOK_PORT}`,
      `--ServerApp.root_dir=${HOME_DIR}`,
      '--no-browser',
      ...(spec.defaultUrl === undefined ? [] : [`--ServerApp.default_url=${spec.defaultUrl}`]),
      ...(hub === undefined ? [] : hubServerArguments(hub)),
    ],
  };
}

/** JupyterHub's single-user environment for a notebook the hub started (`spec.hub`). */
function hubEnvInput(spec: NotebookSpec): JupyterHubEnvInput | undefined {
  const { hub } = spec;
  if (hub === undefined) return undefined;
  return {
    user: hub.user,
    serverName: hub.serverName,
    servicePrefix: spec.baseUrl,
    hubBaseUrl: hub.baseUrl,
    hubHost: hub.host,
    apiUrl: hub.apiUrl,
  };
}

/** `<base_url>api` answers 200 without a token (checked against jupyter_server 2.21; the
 * token-protected `api/status` answers 403), so it tells "the server is up" and nothing more. */
export function readinessPath(spec: NotebookSpec): string {
  return `${spec.baseUrl}api`;
}

function resources(spec: NotebookSpec, settings: BuildSettings): ResourceRequirements {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  const { cpu, cpuLimit, memory, memoryLimit, gpu, gpuResource } = spec.resources;
  // CPU: by default a request without a limit, so an idle machine's spare cycles are not
  // wasted on throttling. Memory: by default request = limit, so a notebook is never
  // OOM-killed for memory the scheduler promised it
  // (https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/). A
  // profile may set either limit apart from its request (overcommit, or a hard CPU cap).
  if (cpu !== undefined) requests['cpu'] = cpu;
  if (cpuLimit !== undefined) limits['cpu'] = cpuLimit;
  if (memory !== undefined) {
    requests['memory'] = memory;
    limits['memory'] = memoryLimit ?? memory;
  }
  // Extended resources such as GPUs are given as limits only (requests default to them).
  if (gpu > 0) limits[gpuResource ?? settings.gpuResourceName] = String(gpu);
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

function environment(notebook: JupyterNotebook): EnvVar[] {
  const { secret } = notebookObjectNames(notebook.metadata.name);
  const user = Object.entries(notebook.spec.env)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
  const hubInput = hubEnvInput(notebook.spec);
  const hub: EnvVar[] =
    hubInput === undefined
      ? []
      : Object.entries(jupyterHubEnv(hubInput)).map(([name, value]) => ({ name, value }));
  // The API token only by reference: the resource never holds it in clear text.
  const tokenSecret = notebook.spec.hub?.apiTokenSecret;
  if (tokenSecret !== undefined) {
    hub.push({
      name: 'JUPYTERHUB_API_TOKEN',
      valueFrom: { secretKeyRef: { name: tokenSecret, key: TOKEN_KEY } },
    });
  }
  return [
    { name: 'JUPYTER_TOKEN', valueFrom: { secretKeyRef: { name: secret, key: TOKEN_KEY } } },
    ...user,
    ...hub,
  ];
}

export function notebookContainer(notebook: JupyterNotebook, settings: BuildSettings): Container {
  const { spec } = notebook;
  return {
    name: CONTAINER_NAME,
    image: spec.image,
    ...jupyterCommand(spec),
    workingDir: HOME_DIR,
    env: environment(notebook),
    ports: [{ name: NOTEBOOK_PORT_NAME, containerPort: NOTEBOOK_PORT, protocol: 'TCP' }],
    // A startup probe every second finds the new server quickly (the kubelet runs the
    // readiness probe at once when the startup probe passes); after that, readiness every 5 s
    // is enough to notice a wedged server and costs fifty running servers little. Ten minutes
    // to start (first run of a heavy image); the hub's own start time-out is usually shorter.
    startupProbe: {
      httpGet: { path: readinessPath(spec), port: NOTEBOOK_PORT_NAME },
      periodSeconds: 1,
      timeoutSeconds: 2,
      failureThreshold: 600,
    },
    readinessProbe: {
      httpGet: { path: readinessPath(spec), port: NOTEBOOK_PORT_NAME },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    resources: resources(spec, settings),
    // The `restricted` Pod Security Standard
    // (https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted).
    // The root file system stays writable: docker-stacks users `pip install` into the image's
    // conda environment, and the standard does not ask for read-only.
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      runAsNonRoot: true,
    },
    // The kubelet copies the log tail into the termination message when the server crashes,
    // which the operator turns into the user's "last lines" message.
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [
      {
        name: 'home',
        mountPath: HOME_DIR,
        ...(spec.storage.subPath === undefined ? {} : { subPath: spec.storage.subPath }),
      },
      ...extraVolumes(spec).mounts,
    ],
  };
}

export function buildDeployment(notebook: JupyterNotebook, settings: BuildSettings): Deployment {
  const { spec } = notebook;
  const names = notebookObjectNames(notebook.metadata.name);
  const claim = spec.storage.existingClaim ?? names.claim;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(notebook, names.base),
    spec: {
      replicas: spec.stopped ? 0 : 1,
      // One ReadWriteOnce volume: the old pod must be gone before the new one mounts it.
      strategy: { type: 'Recreate' },
      revisionHistoryLimit: 2,
      selector: { matchLabels: notebookSelector(names.base) },
      template: {
        metadata: {
          // The spec's extra labels and annotations first, so Ganymede's own keys always win
          // (the schema refuses them anyway).
          labels: { ...spec.extraLabels, ...notebookLabels(names.base) },
          annotations: {
            ...spec.extraAnnotations,
            ...notebookAnnotations(notebook.metadata.name, notebook.metadata.annotations),
          },
        },
        spec: {
          // A notebook needs no Kubernetes credentials unless its author picked an account.
          automountServiceAccountToken: spec.serviceAccountName !== undefined,
          ...(spec.serviceAccountName === undefined
            ? {}
            : { serviceAccountName: spec.serviceAccountName }),
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: JOVYAN_UID,
            runAsGroup: USERS_GID,
            fsGroup: USERS_GID,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...podPlacement(spec),
          containers: [notebookContainer(notebook, settings)],
          volumes: [
            { name: 'home', persistentVolumeClaim: { claimName: claim } },
            ...extraVolumes(spec).volumes,
          ],
        },
      },
    },
  };
}
