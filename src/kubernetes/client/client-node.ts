/**
 * What the product takes from `@kubernetes/client-node`, imported everywhere in `src/` as
 * `#kubernetes-client` (package.json `imports`). At run time that name is one pre-built file,
 * `.build/kubernetes-client.mjs`, which scripts/bundle-kubernetes-client.ts makes from this
 * list with esbuild (run by scripts/ensure-deps.sh after every install); type checking reads
 * this file instead.
 *
 * Why: the package's `KubeConfig` imports its whole generated API, ~870 modules, and loading
 * them was ~0.35 s of a restarted hub's time to serve its routes again on this 2-core machine
 * (bench/scale, issue 13 point 7: profiled with `--cpu-prof`), with V8's compile cache on. The
 * bundle holds only what these names reach (2.8 MB) and loads as one module: a fresh process's
 * `import()` took a median 84 ms against the package entry's 322 ms (5 runs each,
 * interleaved, compile cache warm). Tests may import the package itself: the objects it makes
 * are used here by duck typing, never `instanceof`.
 */
export { KubeConfig, ListWatch, Watch } from '@kubernetes/client-node';
export type { Cluster, KubernetesObject, User } from '@kubernetes/client-node';
