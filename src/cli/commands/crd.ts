import { parseArgs } from 'node:util';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { createKubeApi } from '../../kubernetes/client/kube-api.ts';
import { readKubeConfig } from '../../kubernetes/client/kube-config.ts';
import { applyCrd } from '../../kubernetes/crd/apply-crd.ts';
import { NOTEBOOK_CRD_NAME, notebookCrdYaml } from '../../kubernetes/crd/notebook-crd.ts';
import type { CliCommand } from '../command.ts';

const usage = `Usage: ganymede crd print
       ganymede crd apply [--kubeconfig FILE] [--dry-run]

The JupyterNotebook CustomResourceDefinition this version of Ganymede needs.

  print    write it as YAML to standard output (the same as \`ganymede render --crd\`)
  apply    install or upgrade it on the cluster (server-side apply), then wait until the
           API server serves it. Run it before upgrading Ganymede: Helm installs the chart's
           crds/ folder once and never upgrades it. The chart can run it as a pre-upgrade
           hook (crdUpgrade.enabled). Needs rights to patch customresourcedefinitions.

Options:
      --kubeconfig FILE   cluster credentials (default: in-cluster, else $KUBECONFIG or ~/.kube/config)
      --dry-run           ask the API server to check the change without making it`;

export async function runCrd(
  args: readonly string[],
  io: { readonly write: (text: string) => void },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: { kubeconfig: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  });
  const [action, ...extra] = positionals;
  if (extra.length > 0 || (action !== 'print' && action !== 'apply')) {
    throw new GanymedeError('bad_request', 'Say `ganymede crd print` or `ganymede crd apply`.', {
      field: 'action',
    });
  }
  if (action === 'print') {
    io.write(notebookCrdYaml());
    return 0;
  }
  let api;
  try {
    api = await createKubeApi(readKubeConfig(values.kubeconfig));
  } catch (e) {
    throw new GanymedeError('bad_request', 'Cannot read the cluster credentials.', {
      field: 'kubeconfig',
      detail: (e as Error).message,
    });
  }
  try {
    const dryRun = values['dry-run'];
    const result = await applyCrd(api, { dryRun });
    io.write(
      dryRun
        ? `${NOTEBOOK_CRD_NAME}: the API server accepts the change (dry run, nothing changed)\n`
        : `${NOTEBOOK_CRD_NAME}: applied, generation ${String(result.generation)}, established\n`,
    );
    return 0;
  } catch (e) {
    throw new GanymedeError('unavailable', `Could not apply ${NOTEBOOK_CRD_NAME}.`, {
      detail: (e as Error).message,
    });
  } finally {
    api.close();
  }
}

export const crdCommand: CliCommand = {
  name: 'crd',
  usage,
  run: (args) => runCrd(args, { write: (t) => process.stdout.write(t) }),
};
