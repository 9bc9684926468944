import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment } from '../plain.ts';
import { parseNotebookResource, type JupyterNotebook } from '../../notebook-spec/resource.ts';
import type { NotebookSpecInput } from '../../notebook-spec/schema.ts';
import { buildDeployment } from './deployment.ts';
import { buildNetworkPolicy } from './network-policy.ts';
import { buildNotebookObjects } from './notebook-objects.ts';
import { buildHubTokenSecret, buildSecret } from './secret.ts';
import { notebookUrl } from './service.ts';
import { defaultBuildSettings } from './settings.ts';
import { buildClaim } from './storage.ts';

function notebook(
  spec: NotebookSpecInput,
  extra: { uid?: string; name?: string } = {},
): JupyterNotebook {
  return parseNotebookResource({
    apiVersion: 'ganymede.dev/v1alpha1',
    kind: 'JupyterNotebook',
    metadata: {
      name: extra.name ?? 'alice',
      namespace: 'team',
      ...(extra.uid ? { uid: extra.uid } : {}),
      annotations: { 'ganymede.dev/user': 'Alïce', 'ganymede.dev/server': 'GPU work', other: 'x' },
    },
    spec,
  });
}

function podSpec(d: Deployment) {
  const spec = d.spec?.template.spec;
  assert.ok(spec);
  return spec;
}

describe('buildDeployment', () => {
  it('runs jupyter with explicit command, base URL, port and root dir', () => {
    const d = buildDeployment(
      notebook({ image: 'img', interface: 'server', baseUrl: '/user/a/' }),
      defaultBuildSettings,
    );
    const c = podSpec(d).containers[0]!;
    assert.deepEqual(c.command, ['jupyter', 'server']);
    assert.ok(c.args?.includes('--ServerApp.base_url=/user/a/'));
    assert.ok(c.args?.includes('--ServerApp.port=8888'));
    assert.ok(c.args?.includes('--ServerApp.ip=0.0.0.0'));
    assert.ok(c.args?.includes('--ServerApp.root_dir=/home/jovyan'));
    assert.deepEqual(c.readinessProbe?.httpGet, { path: '/user/a/api', port: 'http' });
    assert.deepEqual(c.env?.[0], {
      name: 'JUPYTER_TOKEN',
      valueFrom: { secretKeyRef: { name: 'alice', key: 'token' } },
    });
  });

  it('uses Recreate and scales to zero when stopped', () => {
    const running = buildDeployment(notebook({ image: 'img' }), defaultBuildSettings);
    const stopped = buildDeployment(
      notebook({ image: 'img', stopped: true }),
      defaultBuildSettings,
    );
    assert.equal(running.spec?.replicas, 1);
    assert.equal(stopped.spec?.replicas, 0);
    assert.equal(running.spec.strategy?.type, 'Recreate');
  });

  it('passes the restricted Pod Security Standard and mounts no token', () => {
    const spec = podSpec(buildDeployment(notebook({ image: 'img' }), defaultBuildSettings));
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.securityContext?.runAsNonRoot, true);
    assert.equal(spec.securityContext.runAsUser, 1000);
    assert.equal(spec.securityContext.fsGroup, 100);
    assert.equal(spec.securityContext.seccompProfile?.type, 'RuntimeDefault');
    for (const c of spec.containers) {
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities?.drop, ['ALL']);
      assert.equal(c.securityContext.privileged, undefined);
    }
    assert.ok(spec.volumes?.every((v) => v.hostPath === undefined));
  });

  it('mounts the token only with an explicit service account', () => {
    const spec = podSpec(
      buildDeployment(
        notebook({ image: 'img', serviceAccountName: 'reader' }),
        defaultBuildSettings,
      ),
    );
    assert.equal(spec.serviceAccountName, 'reader');
    assert.equal(spec.automountServiceAccountToken, true);
  });

  it('maps resources: cpu request, memory request = limit, GPU limit', () => {
    const c = podSpec(
      buildDeployment(
        notebook({ image: 'img', resources: { cpu: '2', memory: '4Gi', gpu: 1 } }),
        defaultBuildSettings,
      ),
    ).containers[0]!;
    assert.deepEqual(c.resources, {
      requests: { cpu: '2', memory: '4Gi' },
      limits: { memory: '4Gi', 'nvidia.com/gpu': '1' },
    });
    const none = podSpec(buildDeployment(notebook({ image: 'img' }), defaultBuildSettings))
      .containers[0]!;
    assert.deepEqual(none.resources, {});
  });

  it('mounts the existing claim with its subPath, or the created claim', () => {
    const own = podSpec(buildDeployment(notebook({ image: 'img' }), defaultBuildSettings));
    assert.equal(own.volumes?.[0]?.persistentVolumeClaim?.claimName, 'alice-home');
    const shared = podSpec(
      buildDeployment(
        notebook({ image: 'img', storage: { existingClaim: 'shared', subPath: 'u/alice' } }),
        defaultBuildSettings,
      ),
    );
    assert.equal(shared.volumes?.[0]?.persistentVolumeClaim?.claimName, 'shared');
    assert.equal(shared.containers[0]?.volumeMounts?.[0]?.subPath, 'u/alice');
  });

  it('sorts user environment variables after the token, so applies are stable', () => {
    const c = podSpec(
      buildDeployment(notebook({ image: 'img', env: { B: '2', A: '1' } }), defaultBuildSettings),
    ).containers[0]!;
    assert.deepEqual(
      c.env?.map((e) => e.name),
      ['JUPYTER_TOKEN', 'A', 'B'],
    );
  });

  it("gives a hub-started server JupyterHub's environment, the API token from its Secret", () => {
    const nb = notebook({
      image: 'img',
      baseUrl: '/user/al%C3%AFce/gpu/',
      env: { A: '1' },
      hub: {
        user: 'alïce',
        serverName: 'gpu',
        host: 'https://hub.example.org',
        apiUrl: 'http://ganymede.hub.svc:8000/hub/api',
        apiTokenSecret: 'alice-hub',
      },
    });
    const c = podSpec(buildDeployment(nb, defaultBuildSettings)).containers[0]!;
    const byName = new Map(c.env?.map((e) => [e.name, e]));
    assert.deepEqual(
      Object.fromEntries(
        [...byName].filter(([, e]) => e.value !== undefined).map(([k, e]) => [k, e.value]),
      ),
      {
        A: '1',
        JUPYTERHUB_USER: 'alïce',
        JUPYTERHUB_SERVER_NAME: 'gpu',
        JUPYTERHUB_BASE_URL: '/',
        JUPYTERHUB_SERVICE_PREFIX: '/user/al%C3%AFce/gpu/',
        JUPYTERHUB_HOST: 'https://hub.example.org',
        JUPYTERHUB_API_URL: 'http://ganymede.hub.svc:8000/hub/api',
        JUPYTERHUB_ACTIVITY_URL: 'http://ganymede.hub.svc:8000/hub/api/users/al%C3%AFce/activity',
      },
    );
    assert.deepEqual(byName.get('JUPYTERHUB_API_TOKEN'), {
      name: 'JUPYTERHUB_API_TOKEN',
      valueFrom: { secretKeyRef: { name: 'alice-hub', key: 'token' } },
    });
    const settings = c.args?.find((a) => a.startsWith('--ServerApp.tornado_settings='));
    assert.match(
      settings ?? '',
      /"hub_prefix":"\/hub\/","hub_host":"https:\/\/hub\.example\.org".*"hubServerName":"gpu"/,
    );
    // Rendered as the operator applies it: no token value anywhere in the Deployment.
    const secret = buildHubTokenSecret(nb, 'the-api-token', 'alice-hub');
    assert.equal(secret.metadata?.name, 'alice-hub');
    assert.deepEqual(secret.stringData, { token: 'the-api-token' });
    assert.ok(!JSON.stringify(buildDeployment(nb, defaultBuildSettings)).includes('the-api-token'));
  });

  it('gives no JUPYTERHUB_* variables to a notebook the hub did not start', () => {
    const c = podSpec(buildDeployment(notebook({ image: 'img' }), defaultBuildSettings))
      .containers[0]!;
    assert.ok(!c.env?.some((e) => e.name.startsWith('JUPYTERHUB_')));
    assert.ok(!c.args?.some((a) => a.includes('tornado_settings')));
  });
});

describe('ownership and labels', () => {
  it('owns everything through the notebook uid except a retained claim', () => {
    const objects = buildNotebookObjects(
      notebook({ image: 'img', ingress: { host: 'a.example.org' } }, { uid: 'u-1' }),
      defaultBuildSettings,
      't',
    );
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Secret', 'PersistentVolumeClaim', 'Service', 'NetworkPolicy', 'Ingress', 'Deployment'],
    );
    for (const o of objects) {
      const refs = o.metadata?.ownerReferences ?? [];
      if (o.kind === 'PersistentVolumeClaim') assert.equal(refs.length, 0);
      else
        assert.deepEqual(
          refs.map((r) => [r.kind, r.uid, r.controller]),
          [['JupyterNotebook', 'u-1', true]],
        );
      assert.equal(o.metadata?.labels?.['app.kubernetes.io/managed-by'], 'ganymede-operator');
      assert.equal(o.metadata.labels['app.kubernetes.io/instance'], 'alice');
      assert.equal(o.metadata.annotations?.['ganymede.dev/user'], 'Alïce');
      assert.equal(o.metadata.annotations['ganymede.dev/server'], 'GPU work');
      assert.equal(o.metadata.annotations['other'], undefined);
      assert.equal(o.metadata.namespace, 'team');
    }
  });

  it('gives the claim to the garbage collector when retain is false', () => {
    const claim = buildClaim(
      notebook(
        { image: 'img', storage: { retain: false, size: '1Gi', className: 'fast' } },
        { uid: 'u-1' },
      ),
    )!;
    assert.equal(claim.metadata?.ownerReferences?.[0]?.uid, 'u-1');
    assert.equal(claim.spec?.storageClassName, 'fast');
    assert.equal(claim.spec.resources?.requests?.['storage'], '1Gi');
    assert.equal(
      buildClaim(notebook({ image: 'img', storage: { existingClaim: 'x' } })),
      undefined,
    );
  });

  it('leaves out ownerReferences without a uid (render)', () => {
    for (const o of buildNotebookObjects(notebook({ image: 'img' }), defaultBuildSettings, 't')) {
      assert.equal(o.metadata?.ownerReferences, undefined, o.kind);
    }
  });

  it('derives safe object names and keeps the raw resource name in an annotation', () => {
    const d = buildDeployment(
      notebook({ image: 'img' }, { name: '1st.notebook' }),
      defaultBuildSettings,
    );
    assert.match(d.metadata?.name ?? '', /^n1st-notebook--[0-9a-f]{10}$/);
    assert.equal(d.metadata?.annotations?.['ganymede.dev/notebook-name'], '1st.notebook');
  });
});

describe('buildNetworkPolicy', () => {
  it('admits the hub only, plus the ingress controller with an Ingress; blocks metadata', () => {
    const plain = buildNetworkPolicy(notebook({ image: 'img' }), {
      ...defaultBuildSettings,
      hubNamespace: 'ganymede',
    }).spec;
    const rule = plain?.ingress?.[0];
    assert.deepEqual(rule?.from, [
      {
        podSelector: { matchLabels: defaultBuildSettings.hubPodLabels },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ganymede' } },
      },
    ]);
    assert.deepEqual(rule.ports, [{ protocol: 'TCP', port: 'http' }]);
    const blocked = plain?.egress?.[0]?.to?.flatMap((p) => p.ipBlock?.except ?? []);
    assert.ok(blocked?.includes('169.254.169.254/32'));
    const withIngress = buildNetworkPolicy(
      notebook({ image: 'img', ingress: { host: 'a.b.org' } }),
      defaultBuildSettings,
    ).spec?.ingress?.[0]?.from;
    assert.equal(withIngress?.length, 2);
    assert.deepEqual(withIngress[1]?.namespaceSelector?.matchLabels, {
      'kubernetes.io/metadata.name': 'ingress-nginx',
    });
  });
});

describe('secret and url', () => {
  it('stores the token under "token"', () => {
    assert.deepEqual(buildSecret(notebook({ image: 'img' }), 'abc').stringData, { token: 'abc' });
  });

  it('points at the ingress host, else the in-cluster service', () => {
    assert.equal(
      notebookUrl(notebook({ image: 'i', baseUrl: '/u/a/' })),
      'http://alice.team.svc:8888/u/a/',
    );
    assert.equal(
      notebookUrl(
        notebook({ image: 'i', ingress: { host: 'nb.example.org', tls: { secretName: 'c' } } }),
      ),
      'https://nb.example.org/',
    );
  });
});
