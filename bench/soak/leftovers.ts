/**
 * What is left at the end of the soak, once every server was asked to stop: the namespace's
 * objects by kind (with what should exist: a stopped notebook keeps its resource, Deployment
 * at 0 replicas, Service, NetworkPolicy, Secrets and claim, because its files are kept),
 * objects owned by a notebook that no longer exists, notebooks not stopped, pods, and the
 * processes still running under the soak (a pod's Jupyter and kernels are the node agent's
 * children, i.e. ours) other than the cluster's, PostgreSQL's and the hubs'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCluster } from '../../test/cluster/harness.ts';
import { listProcesses } from '../scale/proc.ts';
import { sha256 } from './client.ts';
import type { WrittenFile } from './person.ts';

interface Obj {
  metadata: {
    name: string;
    uid: string;
    ownerReferences?: { kind: string; uid: string }[];
    labels?: Record<string, string>;
  };
  spec?: { stopped?: boolean; claimRef?: { namespace?: string } };
  status?: { phase?: string };
}

const kinds = [
  'jupyternotebooks',
  'pods',
  'deployments',
  'replicasets',
  'services',
  'networkpolicies',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
] as const;

export interface Leftovers {
  readonly counts: Record<string, number>;
  readonly notebooks: number;
  readonly notStopped: string[];
  readonly pods: string[];
  /** Objects whose owning notebook (ownerReference) is gone. */
  readonly orphans: string[];
  readonly persistentVolumes: number;
  readonly processes: string[];
  readonly errors: string[];
}

async function list(cluster: TestCluster, kind: string, namespace?: string): Promise<Obj[]> {
  const r = await cluster.kubectl([
    'get',
    kind,
    ...(namespace ? ['-n', namespace] : []),
    '-o',
    'json',
  ]);
  if (r.code !== 0) throw new Error(`kubectl get ${kind}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { items: Obj[] }).items;
}

export async function leftovers(cluster: TestCluster, namespace: string): Promise<Leftovers> {
  const errors: string[] = [];
  const byKind = new Map<string, Obj[]>();
  for (const kind of kinds) {
    try {
      byKind.set(kind, await list(cluster, kind, namespace));
    } catch (e) {
      errors.push(String(e));
    }
  }
  const notebooks = byKind.get('jupyternotebooks') ?? [];
  const uids = new Set(notebooks.map((n) => n.metadata.uid));
  const orphans: string[] = [];
  for (const [kind, items] of byKind) {
    for (const o of items) {
      const owner = o.metadata.ownerReferences?.find((r) => r.kind === 'JupyterNotebook');
      if (owner && !uids.has(owner.uid)) orphans.push(`${kind}/${o.metadata.name}`);
    }
  }
  let persistentVolumes = 0;
  try {
    persistentVolumes = (await list(cluster, 'persistentvolumes')).filter(
      (pv) => pv.spec?.claimRef?.namespace === namespace,
    ).length;
  } catch (e) {
    errors.push(String(e));
  }
  return {
    counts: Object.fromEntries([...byKind].map(([k, v]) => [k, v.length])),
    notebooks: notebooks.length,
    notStopped: notebooks
      .filter(
        (n) =>
          n.spec?.stopped !== true || (n.status?.phase ?? 'Stopped').toLowerCase() !== 'stopped',
      )
      .map(
        (n) =>
          `${n.metadata.name} (spec.stopped ${String(n.spec?.stopped)}, phase ${n.status?.phase ?? '–'})`,
      ),
    pods: (byKind.get('pods') ?? []).map((p) => `${p.metadata.name} (${p.status?.phase ?? '?'})`),
    orphans,
    persistentVolumes,
    processes: strayProcesses(),
    errors,
  };
}

/** Our descendants that are neither the cluster, PostgreSQL, a hub nor a passing kubectl. */
export function strayProcesses(): string[] {
  const all = listProcesses();
  const children = new Map<number, typeof all>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const expected =
    /\b(etcd|kube-apiserver|kube-controller-manager|postgres|kubectl)\b|src\/cli\/main\.ts serve/;
  const out: string[] = [];
  const walk = (pid: number): void => {
    for (const c of children.get(pid) ?? []) {
      if (expected.test(c.cmdline)) continue;
      out.push(`${String(c.pid)} ${c.cmdline.slice(0, 160)}`);
      walk(c.pid);
    }
  };
  walk(process.pid);
  return out;
}

/**
 * Every written file found on the volumes' backing folders (the harness's local
 * provisioner keeps each claim's files under `<cluster dir>/volumes`), compared by SHA-256.
 */
export function filesOnDisk(
  volumesDir: string,
  files: readonly WrittenFile[],
): { intact: number; differ: string[]; missing: string[] } {
  const found = new Map<string, string>();
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory() && depth < 6) walk(path, depth + 1);
      else if (e.isFile() && e.name.startsWith('soak-') && e.name.endsWith('.txt'))
        found.set(e.name, path);
    }
  };
  walk(volumesDir, 0);
  const out = { intact: 0, differ: [] as string[], missing: [] as string[] };
  for (const f of files) {
    const path = found.get(f.path);
    if (path === undefined) out.missing.push(f.path);
    else if (sha256(readFileSync(path, 'utf8')) === f.sha256) out.intact++;
    else out.differ.push(f.path);
  }
  return out;
}
