/**
 * helm for the chart tests: built from its Go module by test/cluster/helm/build.sh (cached
 * outside the repository after the first build), run against deploy/helm/ganymede.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const chartDir = fileURLToPath(new URL('../../../deploy/helm/ganymede', import.meta.url));
const buildScript = fileURLToPath(new URL('../../cluster/helm/build.sh', import.meta.url));

let helmPath: string | undefined;

/** The helm binary; builds it on first use (minutes, once per helm version). */
export function helmBinary(): string {
  helmPath ??= execFileSync('bash', [buildScript], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 1_800_000,
  }).trim();
  return helmPath;
}

export function runHelm(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(helmBinary(), args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

/** `helm template` with `--set`-free values (a JSON values file on stdin is not portable, so
 * values go through `--set-json`), parsed into objects. */
export async function renderChart(
  values: Record<string, unknown> = {},
  options: { namespace?: string; release?: string; includeCrds?: boolean } = {},
): Promise<KubeManifest[]> {
  const text = await renderChartText(values, options);
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeManifest | null)
    .filter((d): d is KubeManifest => d !== null);
}

export async function renderChartText(
  values: Record<string, unknown> = {},
  options: { namespace?: string; release?: string; includeCrds?: boolean } = {},
): Promise<string> {
  const args = [
    'template',
    options.release ?? 'test',
    chartDir,
    '--namespace',
    options.namespace ?? 'notebooks',
    ...(options.includeCrds ? ['--include-crds'] : []),
    ...Object.entries(values).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]),
  ];
  const r = await runHelm(args);
  if (r.code !== 0) throw new HelmError(r.stderr);
  return r.stdout;
}

export class HelmError extends Error {
  override readonly name = 'HelmError';
}

export function find(
  manifests: readonly KubeManifest[],
  kind: string,
  name?: string,
): KubeManifest {
  const found = manifests.find(
    (m) => m.kind === kind && (name === undefined || m.metadata.name === name),
  );
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered chart`);
  return found;
}
