/**
 * `node test/cluster/images/build-images.ts [binDir]` (what build.sh runs): builds what is
 * missing, then prints one line per image (`<OCI layout> <digest> <reference>…`) and
 * `seed <registry storage folder>`. A module of its own: images.ts and registry.ts import each
 * other, which a top-level await in either would deadlock.
 */
import { ensureImages } from './images.ts';

const started = performance.now();
const set = await ensureImages({ binDir: process.argv[2] });
for (const image of set.images) {
  process.stdout.write(`${image.layout} ${image.digest} ${image.references.join(' ')}\n`);
}
process.stdout.write(`seed ${set.seed}\n`);
process.stderr.write(`[images] ready in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
