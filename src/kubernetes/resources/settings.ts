/**
 * Cluster-wide choices the builders need besides the notebook itself: where the hub and the
 * ingress controller run (for the NetworkPolicy) and what a GPU is called. The operator reads
 * them from its configuration; `ganymede render` uses the defaults unless told otherwise.
 */
export interface BuildSettings {
  /** Namespace of the hub's pods; unset means the notebook's own namespace. */
  readonly hubNamespace?: string | undefined;
  /** Labels of the hub's pods, admitted to the notebook port.
   * Default: `app.kubernetes.io/part-of: ganymede`, `app.kubernetes.io/component: hub`. */
  readonly hubPodLabels: Readonly<Record<string, string>>;
  /** Namespace of the ingress controller, admitted when the notebook asks for an Ingress.
   * Default `ingress-nginx`. */
  readonly ingressControllerNamespace: string;
  /** Extended resource name of one GPU. Default `nvidia.com/gpu`. */
  readonly gpuResourceName: string;
}

export const defaultBuildSettings: BuildSettings = {
  hubPodLabels: { 'app.kubernetes.io/part-of': 'ganymede', 'app.kubernetes.io/component': 'hub' },
  ingressControllerNamespace: 'ingress-nginx',
  gpuResourceName: 'nvidia.com/gpu',
};

/** The port Jupyter listens on inside the pod, and the Service's port. */
export const NOTEBOOK_PORT = 8888;
export const NOTEBOOK_PORT_NAME = 'http';
/** Where the docker-stacks images keep the user's home (https://jupyter-docker-stacks.readthedocs.io/). */
export const HOME_DIR = '/home/jovyan';
/** docker-stacks' `jovyan` user and `users` group. */
export const JOVYAN_UID = 1000;
export const USERS_GID = 100;
export const TOKEN_KEY = 'token';
export const CONTAINER_NAME = 'notebook';
