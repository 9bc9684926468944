/**
 * What people are told about a server on Kubernetes, in plain language, while it starts. The
 * operator's own status message (already written for a non-technical reader, see
 * src/kubernetes/operator/diagnose.ts and status.ts) is passed through for failures, a lost
 * server and a time-out, and when it says more than these.
 */
export const K8S_MESSAGES = {
  requested: 'Asking the cluster for your server',
  /** The API server does not answer (restarting, unreachable): the start waits for it. */
  clusterNotAnswering: 'The cluster is not answering, retrying',
  clusterDidNotAnswer:
    'The cluster did not answer in time, so the server could not be started. Please try again later.',
  queued: (ahead: number) =>
    ahead === 0
      ? 'Many servers are starting right now; yours is next'
      : `Many servers are starting right now; ${String(ahead)} ${ahead === 1 ? 'is' : 'are'} ahead of yours`,
  storage: 'Preparing storage for your files',
  machine: 'Waiting for a machine to run your server',
  starting: 'Starting the environment',
  downloading: 'Downloading the environment (first time only)',
  waiting: 'Waiting for Jupyter to answer',
  ready: 'Your server is ready',
  restarting: 'The notebook server is restarting.',
  stopping: 'The notebook server is shutting down.',
  deleting: 'The notebook server is being removed.',
  couldNotStart: 'The notebook server could not be started.',
  cancelled: 'The start was cancelled because the server was stopped.',
  hubClosing: 'The hub is shutting down; the server keeps starting and will be found again.',
} as const;

/** Percentages of the progress events: one step per thing Kubernetes does for a start. */
export const K8S_PROGRESS = {
  requested: 10,
  queued: 15,
  storage: 20,
  machine: 30,
  starting: 50,
  // After `starting`: the pod is placed on a machine before its kubelet pulls the image, and
  // progress only moves forward.
  downloading: 60,
  waiting: 75,
  done: 100,
} as const;
