/**
 * Installs or upgrades the JupyterNotebook CRD on a cluster, for `ganymede crd apply` and the
 * chart's optional pre-upgrade hook. Helm installs `crds/` once and never upgrades it
 * (https://helm.sh/docs/chart_best_practices/custom_resource_definitions/), so a new field
 * in a new Ganymede version would be pruned by the old schema without this.
 *
 * Server-side apply under Ganymede's own field manager, forced: the CRD is generated from the
 * notebook schema of this very binary, so this binary is the authority on it.
 */
import type { KubeApi } from '../client/kube-api.ts';
import { NOTEBOOK_CRD_NAME, notebookCrd } from './notebook-crd.ts';

export const CRD_FIELD_MANAGER = 'ganymede-crd';
const CRD_PATH = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${NOTEBOOK_CRD_NAME}`;

interface CrdStatus {
  readonly metadata?: { readonly generation?: number };
  readonly status?: {
    readonly conditions?: readonly { type: string; status: string; message?: string }[];
    readonly storedVersions?: readonly string[];
  };
}

export interface ApplyCrdResult {
  /** The CRD's generation after the apply: unchanged when there was nothing to change. */
  readonly generation: number | undefined;
  readonly established: boolean;
}

/** Applies the CRD, then waits (polling, at most `timeoutMs`) until the API server reports
 * it Established and serves the new schema; a refusal (e.g. a stored version dropped)
 * surfaces as the API server's own message. */
export async function applyCrd(
  api: KubeApi,
  options: {
    readonly dryRun?: boolean;
    readonly timeoutMs?: number;
    readonly pollMs?: number;
  } = {},
): Promise<ApplyCrdResult> {
  const applied = (await api.request({
    method: 'PATCH',
    path: CRD_PATH,
    query: {
      fieldManager: CRD_FIELD_MANAGER,
      force: 'true',
      ...(options.dryRun === true ? { dryRun: 'All' } : {}),
    },
    body: notebookCrd(),
    contentType: 'application/apply-patch+yaml',
  })) as CrdStatus;
  if (options.dryRun === true) {
    return { generation: applied.metadata?.generation, established: false };
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const current = (await api.request({ method: 'GET', path: CRD_PATH })) as CrdStatus;
    const established = current.status?.conditions?.some(
      (c) => c.type === 'Established' && c.status === 'True',
    );
    if (established === true) {
      return { generation: current.metadata?.generation, established: true };
    }
    if (Date.now() > deadline) {
      const why = current.status?.conditions?.map((c) => `${c.type}=${c.status}`).join(', ');
      throw new Error(`the CRD was applied but is not Established (${why ?? 'no conditions'})`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
  }
}
