/**
 * The images a real node runs, served by a registry of this test run under their real names
 * (containerd's mirrors send quay.io, docker.io and registry.k8s.io references there).
 * Built once and cached by test/cluster/images/ (see its README section).
 */
export const notebookImage = 'quay.io/jupyter/minimal-notebook:2025-06-02';

export interface NodeImages {
  /** host:port of the registry, on the host's end of the node's link. */
  readonly registry: string;
  /** containerd certs.d files (`<host>/hosts.toml`). */
  readonly mirrors: readonly { path: string; content: string }[];
  readonly coreDnsImage: string;
  stop(): Promise<void>;
  stopNow(): void;
}

export function startNodeImages(options: { dir: string; address: string }): Promise<NodeImages> {
  return Promise.reject(new Error(`the test registry for ${options.address} is not wired yet`));
}
