/**
 * The Helm chart as rendered by a real helm (built from its Go module): lint, the objects and
 * their security settings, the configuration it hands the hub (checked with the hub's own
 * schema), and the failures it must refuse. The chart on a real control plane:
 * on-cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../src/config/load.ts';
import { configSchema } from '../../../src/config/schema.ts';
import {
  chartDir,
  find,
  HelmError,
  renderChart,
  renderChartText,
  runHelm,
  type KubeManifest,
} from './helm.ts';

interface PodSpecLike {
  automountServiceAccountToken?: boolean;
  securityContext: Record<string, unknown>;
  containers: {
    image: string;
    args: string[];
    securityContext: Record<string, unknown>;
    env: {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef?: { name: string; key: string } };
    }[];
  }[];
  volumes: { name: string; persistentVolumeClaim?: unknown; emptyDir?: unknown }[];
}

function podSpec(manifests: KubeManifest[]): PodSpecLike {
  const deployment = find(manifests, 'Deployment') as unknown as {
    spec: { template: { spec: PodSpecLike } };
  };
  return deployment.spec.template.spec;
}

function hubConfig(manifests: KubeManifest[]): unknown {
  const cm = find(manifests, 'ConfigMap') as unknown as { data: Record<string, string> };
  return parseYaml(cm.data['config.yaml'] ?? '');
}

describe('helm chart deploy/helm/ganymede', { timeout: 1_800_000 }, () => {
  it('passes helm lint --strict, with defaults and with every option turned on', async () => {
    const plain = await runHelm(['lint', '--strict', chartDir]);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    const full = await runHelm([
      'lint',
      '--strict',
      chartDir,
      '--set',
      'replicas=3,database.url=postgres://h/db,ingress.enabled=true,ingress.host=hub.example.org',
      '--set',
      'notebookIngress.enabled=true,notebookIngress.baseDomain=nb.example.org,publicUrl=https://hub.nb.example.org',
      '--set',
      'networkPolicy.restrictEgress=true,networkPolicy.apiServerCidrs={10.0.0.1/32},oidc.clientSecret=s',
    ]);
    assert.equal(full.code, 0, full.stdout + full.stderr);
  });

  it('renders the objects of one install, each labelled, in the release namespace', async () => {
    const manifests = await renderChart({}, { includeCrds: true });
    const kinds = manifests.map((m) => m.kind).sort();
    assert.deepEqual(kinds, [
      'ConfigMap',
      'CustomResourceDefinition',
      'Deployment',
      'NetworkPolicy',
      'PersistentVolumeClaim',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Secret',
      'Service',
      'ServiceAccount',
    ]);
    for (const m of manifests.filter((x) => x.kind !== 'CustomResourceDefinition')) {
      assert.equal(m.metadata.namespace, 'notebooks', `${m.kind} namespace`);
      assert.equal(m.metadata.labels?.['app.kubernetes.io/part-of'], 'ganymede', m.kind);
    }
  });

  it('ships exactly the CRD generated from the notebook schema (deploy/crd)', () => {
    const generated = readFileSync(
      new URL('../../../deploy/crd/jupyternotebooks.ganymede.dev.yaml', import.meta.url),
      'utf8',
    );
    const inChart = readFileSync(
      join(chartDir, 'crds', 'jupyternotebooks.ganymede.dev.yaml'),
      'utf8',
    );
    assert.equal(inChart, generated, 'copy deploy/crd/*.yaml into deploy/helm/ganymede/crds/');
  });

  it('runs the hub as the restricted Pod Security Standard requires', async () => {
    const spec = podSpec(await renderChart());
    assert.equal(spec.securityContext['runAsNonRoot'], true);
    assert.deepEqual(spec.securityContext['seccompProfile'], { type: 'RuntimeDefault' });
    const [hub] = spec.containers;
    assert.ok(hub);
    assert.equal(hub.securityContext['allowPrivilegeEscalation'], false);
    assert.equal(hub.securityContext['readOnlyRootFilesystem'], true);
    assert.deepEqual(hub.securityContext['capabilities'], { drop: ['ALL'] });
    assert.equal(hub.image, 'ghcr.io/ganymede/hub:0.1.0');
    assert.deepEqual(hub.args, [
      'serve',
      '--config=/etc/ganymede/config.yaml',
      '--data-dir=/var/lib/ganymede',
    ]);
  });

  it('gives the hub a configuration its own schema accepts', async () => {
    const config = parseConfig(
      hubConfig(await renderChart({ config: { culler: { maxAgeHours: 24 } } })),
      'chart',
    );
    assert.equal(config.backend.type, 'kubernetes');
    assert.equal(config.backend.kubernetes.namespace, 'notebooks');
    assert.equal(config.backend.kubernetes.runOperator, true);
    assert.equal(config.hub.host, '0.0.0.0');
    // Notebook pods reach the hub's API (JUPYTERHUB_API_URL) through its Service.
    const service = find(await renderChart({}), 'Service') as unknown as {
      metadata: { name: string; namespace: string };
      spec: { ports: { port: number }[] };
    };
    assert.equal(
      config.hub.connectUrl,
      `http://${service.metadata.name}.${service.metadata.namespace}.svc:${String(service.spec.ports[0]?.port)}`,
    );
    assert.equal(config.culler.maxAgeHours, 24);
    assert.equal(config.ingressRouting, undefined);
    const other = parseConfig(
      hubConfig(await renderChart({ notebookNamespace: 'users' })),
      'chart',
    );
    assert.equal(other.backend.kubernetes.namespace, 'users');
  });

  it('limits RBAC to namespaced objects of the notebook namespace, never secrets elsewhere', async () => {
    const manifests = await renderChart({ notebookNamespace: 'users' });
    const role = find(manifests, 'Role') as unknown as {
      metadata: { namespace: string };
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    assert.equal(role.metadata.namespace, 'users');
    assert.equal(find(manifests, 'RoleBinding').metadata.namespace, 'users');
    assert.ok(!manifests.some((m) => m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding'));
    const allowed = new Map<string, string[]>();
    for (const rule of role.rules) {
      for (const g of rule.apiGroups)
        for (const r of rule.resources) allowed.set(`${g}/${r}`, rule.verbs);
    }
    for (const rule of role.rules) {
      assert.ok(
        !rule.verbs.includes('*') && !rule.resources.includes('*') && !rule.apiGroups.includes('*'),
      );
    }
    assert.deepEqual(allowed.get('/pods'), ['get', 'list', 'watch']);
    assert.deepEqual(allowed.get('/events'), ['get', 'list', 'watch']);
    assert.ok(allowed.get('ganymede.dev/jupyternotebooks/status')?.includes('patch'));
    assert.ok(allowed.get('coordination.k8s.io/leases')?.includes('update'));
    assert.equal(allowed.get('/pods/exec'), undefined);
    const sa = find(manifests, 'ServiceAccount') as unknown as {
      automountServiceAccountToken: boolean;
    };
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(podSpec(manifests).automountServiceAccountToken, true);
  });

  it('rbac.listNodes adds list on nodes, cluster-wide, and nothing else', async () => {
    const manifests = await renderChart({ rbac: { listNodes: true } });
    const clusterRole = find(manifests, 'ClusterRole') as unknown as {
      metadata: { name: string };
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    assert.deepEqual(clusterRole.rules, [
      { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
    ]);
    const binding = find(manifests, 'ClusterRoleBinding') as unknown as {
      roleRef: { name: string };
      subjects: { name: string }[];
    };
    assert.equal(binding.roleRef.name, clusterRole.metadata.name);
    assert.equal(binding.subjects[0]?.name, find(manifests, 'ServiceAccount').metadata.name);
  });

  it('SQLite by default: one replica, a kept volume claim, Recreate', async () => {
    const manifests = await renderChart();
    const pvc = find(manifests, 'PersistentVolumeClaim');
    assert.equal(pvc.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
    const deployment = find(manifests, 'Deployment') as unknown as {
      spec: { strategy: { type: string } };
    };
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    assert.ok(!podSpec(manifests).containers[0]?.env.some((e) => e.name === 'GANYMEDE_STORE_URL'));
  });

  it('several replicas need PostgreSQL, whose URL comes from a Secret', async () => {
    await assert.rejects(
      renderChartText({ replicas: 2 }),
      (e: unknown) => e instanceof HelmError && e.message.includes('replicas > 1 needs PostgreSQL'),
    );
    const manifests = await renderChart({
      replicas: 2,
      'database.existingSecret': 'pg',
      'database.existingSecretKey': 'dsn',
    });
    assert.ok(!manifests.some((m) => m.kind === 'PersistentVolumeClaim'));
    const env = podSpec(manifests).containers[0]?.env ?? [];
    assert.deepEqual(env.find((e) => e.name === 'GANYMEDE_STORE_URL')?.valueFrom?.secretKeyRef, {
      name: 'pg',
      key: 'dsn',
    });
    const deployment = find(manifests, 'Deployment') as unknown as {
      spec: {
        replicas: number;
        strategy: { type: string; rollingUpdate: { maxUnavailable: number } };
      };
    };
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
    const inline = await renderChart({ 'database.url': 'postgres://u:p@db/g' });
    const secret = find(inline, 'Secret') as unknown as { data: Record<string, string> };
    assert.equal(
      Buffer.from(secret.data['database-url'] ?? '', 'base64').toString(),
      'postgres://u:p@db/g',
    );
    assert.doesNotMatch(JSON.stringify(find(inline, 'ConfigMap')), /postgres:/);
  });

  it('never generates an admin password, so helm template renders the same every time', async () => {
    const first = await renderChartText();
    assert.equal(await renderChartText(), first, 'two renders are identical');
    const manifests = await renderChart();
    const secret = find(manifests, 'Secret') as unknown as { data?: Record<string, string> };
    assert.equal(secret.data?.['admin-password'], undefined);
    const env = podSpec(manifests).containers[0]?.env.find(
      (e) => e.name === 'GANYMEDE_ADMIN_PASSWORD',
    );
    assert.deepEqual(env?.valueFrom?.secretKeyRef, {
      name: 'test-ganymede',
      key: 'admin-password',
      optional: true,
    });
    const given = find(
      await renderChart({ adminPassword: 'correct horse' }),
      'Secret',
    ) as unknown as { data: Record<string, string> };
    assert.equal(
      Buffer.from(given.data['admin-password'] ?? '', 'base64').toString(),
      'correct horse',
    );
    const existing = podSpec(
      await renderChart({
        adminPasswordExistingSecret: 'admin',
        adminPasswordExistingSecretKey: 'pw',
      }),
    ).containers[0]?.env.find((e) => e.name === 'GANYMEDE_ADMIN_PASSWORD');
    assert.deepEqual(existing?.valueFrom?.secretKeyRef, { name: 'admin', key: 'pw' });
  });

  it('values.schema.json refuses a wrong key or type, naming it, hub settings included', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ replica: 2 }, /additional properties 'replica' not allowed/],
      [{ replicas: 'two' }, /at '\/replicas': got string, want integer/],
      [{ service: { type: 'Magic' } }, /at '\/service\/type'/],
      [
        { config: { culler: { intervalSecond: 5 } } },
        /at '\/config\/culler': additional properties 'intervalSecond'/,
      ],
      [
        { config: { profiles: [{ name: 'Big GPU', displayName: 'x' }] } },
        /at '\/config\/profiles\/0\/name'/,
      ],
      [{ serviceMonitor: { interval: 'often' } }, /at '\/serviceMonitor\/interval'/],
    ];
    for (const [values, message] of cases) {
      await assert.rejects(renderChartText(values), message, JSON.stringify(values));
    }
    const lint = await runHelm(['lint', '--strict', chartDir, '--set', 'replicas=many']);
    assert.notEqual(lint.code, 0);
    assert.match(lint.stdout + lint.stderr, /replicas/);
  });

  it('serviceMonitor: a ServiceMonitor that sends the scrape token the hub also reads', async () => {
    await assert.rejects(
      renderChartText({ 'serviceMonitor.enabled': true }),
      /needs serviceMonitor.tokenSecret/,
    );
    const manifests = await renderChart({
      'serviceMonitor.enabled': true,
      'serviceMonitor.tokenSecret': 'metrics',
      'serviceMonitor.labels': { release: 'prom' },
    });
    const sm = find(manifests, 'ServiceMonitor') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string; authorization: unknown }[];
      };
    };
    assert.equal(sm.metadata.labels['release'], 'prom');
    assert.equal(sm.spec.selector.matchLabels['app.kubernetes.io/component'], 'hub');
    assert.deepEqual(sm.spec.endpoints[0], {
      port: 'http',
      path: '/metrics',
      interval: '30s',
      scrapeTimeout: '10s',
      authorization: { type: 'Bearer', credentials: { name: 'metrics', key: 'token' } },
    });
    const env = podSpec(manifests).containers[0]?.env.find(
      (e) => e.name === 'GANYMEDE_METRICS_TOKEN',
    );
    assert.deepEqual(env?.valueFrom?.secretKeyRef, { name: 'metrics', key: 'token' });
    // Public metrics need no token.
    const open = await renderChart({
      'serviceMonitor.enabled': true,
      config: { metrics: { public: true } },
    });
    assert.ok(open.some((m) => m.kind === 'ServiceMonitor'));
  });

  it('prePuller: one init container per distinct profile image, rolled when images change', async () => {
    const profiles = (images: string[]) =>
      images.map((image, i) => ({ name: `p${String(i)}`, displayName: `P${String(i)}`, image }));
    const puller = async (images: string[], extra: string[] = []) => {
      const ds = find(
        await renderChart({
          'prePuller.enabled': true,
          'prePuller.extraImages': extra,
          config: { profiles: profiles(images) },
        }),
        'DaemonSet',
      ) as unknown as {
        metadata: { namespace: string };
        spec: {
          template: {
            spec: PodSpecLike & { initContainers: { image: string; command: string[] }[] };
          };
        };
      };
      return ds;
    };
    const ds = await puller(['img/a:1', 'img/b:2', 'img/a:1'], ['img/x:3']);
    assert.equal(ds.metadata.namespace, 'notebooks');
    const pod = ds.spec.template.spec;
    assert.deepEqual(
      pod.initContainers.map((c) => c.image),
      ['img/a:1', 'img/b:2', 'img/x:3'],
    );
    assert.deepEqual(pod.initContainers[0]?.command, ['sh', '-c', 'true']);
    assert.equal(pod.securityContext['runAsNonRoot'], true);
    assert.equal(pod.automountServiceAccountToken, false);
    // A changed image changes the pod template, so the DaemonSet rolls and pulls it.
    const changed = await puller(['img/a:2', 'img/b:2']);
    assert.notDeepEqual(changed.spec.template, ds.spec.template);
    // No profiles configured: the hub's default profile's image.
    const plain = find(
      await renderChart({ 'prePuller.enabled': true }),
      'DaemonSet',
    ) as unknown as {
      spec: { template: { spec: { initContainers: { image: string }[] } } };
    };
    assert.deepEqual(
      plain.spec.template.spec.initContainers.map((c) => c.image),
      configSchema.parse({}).profiles.map((p) => p.image),
    );
    assert.ok(!(await renderChart()).some((m) => m.kind === 'DaemonSet'));
  });

  it('notebookQuota and notebookLimitRange cap the notebook namespace as a whole', async () => {
    const manifests = await renderChart({
      notebookNamespace: 'students',
      'notebookQuota.enabled': true,
      'notebookQuota.hard': { 'requests.cpu': '8', 'requests.nvidia.com/gpu': '2' },
      'notebookLimitRange.enabled': true,
    });
    const quota = find(manifests, 'ResourceQuota') as unknown as {
      metadata: { namespace: string };
      spec: { hard: Record<string, string> };
    };
    assert.equal(quota.metadata.namespace, 'students');
    // Helm merges given maps over the defaults (set a key to null to drop it).
    assert.deepEqual(quota.spec.hard, {
      'requests.cpu': '8',
      'requests.memory': '256Gi',
      'requests.nvidia.com/gpu': '2',
      persistentvolumeclaims: '1000',
    });
    const range = find(manifests, 'LimitRange') as unknown as {
      spec: { limits: { type: string; defaultRequest: Record<string, string> }[] };
    };
    const [first] = range.spec.limits;
    assert.ok(first);
    assert.equal(first.type, 'Container');
    assert.deepEqual(first.defaultRequest, { cpu: '100m', memory: '256Mi' });
    assert.ok(!(await renderChart()).some((m) => ['ResourceQuota', 'LimitRange'].includes(m.kind)));
  });

  it('placeholders: pause pods below every notebook, never preempting', async () => {
    const manifests = await renderChart({
      'placeholders.enabled': true,
      'placeholders.replicas': 3,
    });
    const pc = find(manifests, 'PriorityClass') as unknown as {
      value: number;
      preemptionPolicy: string;
      globalDefault: boolean;
    };
    assert.ok(pc.value < 0);
    assert.equal(pc.preemptionPolicy, 'Never');
    assert.equal(pc.globalDefault, false);
    const deployment = manifests.find(
      (m) => m.kind === 'Deployment' && m.metadata.name === 'test-ganymede-placeholder',
    ) as unknown as {
      spec: {
        replicas: number;
        template: { spec: { priorityClassName: string; containers: { resources: unknown }[] } };
      };
    };
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.spec.template.spec.priorityClassName, 'test-ganymede-placeholder');
    assert.deepEqual(deployment.spec.template.spec.containers[0]?.resources, {
      requests: { cpu: '1', memory: '2Gi' },
    });
  });

  it('crdUpgrade: a hook Job runs `ganymede crd apply` with rights on that one CRD only', async () => {
    const manifests = await renderChart({ 'crdUpgrade.enabled': true });
    const hooks = manifests.filter((m) => m.metadata.annotations?.['helm.sh/hook']);
    assert.deepEqual(hooks.map((m) => m.kind).sort(), [
      'ClusterRole',
      'ClusterRoleBinding',
      'Job',
      'ServiceAccount',
    ]);
    for (const h of hooks) {
      assert.equal(h.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade');
      assert.equal(
        h.metadata.annotations['helm.sh/hook-delete-policy'],
        'before-hook-creation,hook-succeeded',
      );
    }
    const role = find(hooks, 'ClusterRole') as unknown as { rules: unknown[] };
    assert.deepEqual(role.rules, [
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        resourceNames: ['jupyternotebooks.ganymede.dev'],
        verbs: ['get', 'patch'],
      },
    ]);
    const job = find(hooks, 'Job') as unknown as {
      spec: { template: { spec: PodSpecLike & { serviceAccountName: string } } };
    };
    const pod = job.spec.template.spec;
    const container = pod.containers[0];
    assert.ok(container);
    assert.deepEqual(container.args, ['crd', 'apply']);
    assert.equal(container.image, 'ghcr.io/ganymede/hub:0.1.0');
    assert.equal(pod.serviceAccountName, 'test-ganymede-crd-upgrade');
    assert.equal(pod.securityContext['runAsNonRoot'], true);
    assert.deepEqual(container.securityContext['capabilities'], { drop: ['ALL'] });
    assert.ok(!(await renderChart()).some((m) => m.metadata.annotations?.['helm.sh/hook']));
  });

  it('ingress routing mode reaches the hub configuration', async () => {
    await assert.rejects(
      renderChartText({ 'notebookIngress.enabled': true }),
      /baseDomain is required/,
    );
    const config = parseConfig(
      hubConfig(
        await renderChart({
          'notebookIngress.enabled': true,
          'notebookIngress.baseDomain': 'nb.example.org',
          'notebookIngress.tlsSecretName': 'wildcard',
          publicUrl: 'https://hub.nb.example.org',
        }),
      ),
      'chart',
    );
    assert.deepEqual(config.ingressRouting, {
      baseDomain: 'nb.example.org',
      scheme: 'https',
      tlsSecretName: 'wildcard',
    });
    assert.equal(config.hub.publicUrl, 'https://hub.nb.example.org');
  });

  it('optional hub Ingress, PDB and NetworkPolicies follow their values', async () => {
    const withIngress = await renderChart({
      'ingress.enabled': true,
      'ingress.host': 'hub.example.org',
      'ingress.tlsSecretName': 'tls',
    });
    const ingress = find(withIngress, 'Ingress') as unknown as {
      spec: { rules: { host: string }[]; tls: { secretName: string }[] };
    };
    assert.equal(ingress.spec.rules[0]?.host, 'hub.example.org');
    assert.equal(ingress.spec.tls[0]?.secretName, 'tls');
    const pdb = find(await renderChart(), 'PodDisruptionBudget') as unknown as {
      spec: { maxUnavailable: number };
    };
    assert.equal(pdb.spec.maxUnavailable, 1);
    const off = await renderChart({
      'podDisruptionBudget.enabled': false,
      'networkPolicy.enabled': false,
    });
    assert.ok(!off.some((m) => m.kind === 'PodDisruptionBudget' || m.kind === 'NetworkPolicy'));
    const egress = find(
      await renderChart({
        'networkPolicy.restrictEgress': true,
        'networkPolicy.apiServerCidrs': ['10.0.0.1/32'],
      }),
      'NetworkPolicy',
    ) as unknown as {
      spec: { policyTypes: string[]; egress: { to?: { ipBlock?: { cidr: string } }[] }[] };
    };
    assert.deepEqual(egress.spec.policyTypes, ['Ingress', 'Egress']);
    assert.ok(egress.spec.egress.some((r) => r.to?.some((t) => t.ipBlock?.cidr === '10.0.0.1/32')));
    await assert.rejects(
      renderChartText({ 'networkPolicy.restrictEgress': true }),
      /apiServerCidrs is required/,
    );
  });

  it('labels the hub pods the way notebook NetworkPolicies admit them', async () => {
    const { defaultBuildSettings } = await import('../../../src/kubernetes/resources/settings.ts');
    const deployment = find(await renderChart(), 'Deployment') as unknown as {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    };
    for (const [k, v] of Object.entries(defaultBuildSettings.hubPodLabels)) {
      assert.equal(deployment.spec.template.metadata.labels[k], v, k);
    }
  });
});
