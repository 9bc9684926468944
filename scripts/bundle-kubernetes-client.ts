/**
 * Builds `.build/kubernetes-client.mjs`, the one-file `#kubernetes-client` (see
 * src/kubernetes/client/client-node.ts for why), with esbuild: bundled, tree-shaken to the
 * names that file exports, ES module for Node. Run by scripts/ensure-deps.sh when the file is
 * missing or older than the installed packages, the list of names or this script (checked
 * there, in the shell, so starting the hub costs no second Node process).
 */
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const entry = join(root, 'src/kubernetes/client/client-node.ts');
const output = join(root, '.build/kubernetes-client.mjs');

if (import.meta.main) {
  await build({
    entryPoints: [entry],
    outfile: output,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    logLevel: 'warning',
    // Some of the client's dependencies are CommonJS and call require() for Node's own
    // modules, which an ES module bundle has no `require` for: give it one.
    banner: {
      js: "import { createRequire as __ganymedeRequire } from 'node:module'; const require = __ganymedeRequire(import.meta.url);",
    },
    legalComments: 'eof',
  });
  console.error(`[ganymede] built ${output}`);
}
