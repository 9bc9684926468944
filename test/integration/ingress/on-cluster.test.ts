/**
 * Ingress routing mode on the test control plane, every part real: the chart installed with
 * `notebookIngress.enabled`, the hub running as a node-agent pod, the in-hub operator turning
 * the hub's JupyterNotebook into an Ingress on `<kube-name>.<baseDomain>`, and Debian's nginx
 * playing the ingress controller: one server per Ingress rule (host → the Service's ready
 * endpoint, as a controller resolves it), with auth_request to the hub's Service endpoint
 * (deploy/nginx/). The owner runs a cell through nginx straight to the notebook pod; another
 * user gets 403; no cookie is sent to sign in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { freeLoopbackPort } from '../../cluster/control-plane/ports.ts';
import { hubImage } from '../../cluster/images/hub-image.ts';
import { executeOverWebSocket } from '../../helpers/jupyter-kernel.ts';
import { forwardApiServerToPods, type ApiForwarder } from '../helm/api-forwarder.ts';
import { installChart, serviceEndpoint, smallProfiles } from '../helm/install.ts';
import { kubectlOk, restrictedNamespace } from '../operator/helpers.ts';
import { HostClient } from './host-client.ts';
import { startNginx, type RunningNginx } from './nginx.ts';

const DOMAIN = 'nb.ganymede.test';
const ADMIN_PASSWORD = 'ingress-admin-password';

interface IngressObject {
  spec: {
    rules: {
      host: string;
      http: {
        paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[];
      };
    }[];
  };
}

describe('ingress routing mode on the test control plane', { timeout: 1_200_000 }, () => {
  let cluster: TestCluster | undefined;
  let forwarder: ApiForwarder | undefined;
  let nginx: RunningNginx | undefined;
  const clients: HostClient[] = [];
  let ns = '';
  let port = 0;
  let hubBase = '';
  let hubUpstream = '';
  let notebookBase = '';
  const admin = new HostClient();
  clients.push(admin);

  const need = (): TestCluster => {
    assert.ok(cluster, 'started in before()');
    return cluster;
  };

  async function signIn(c: HostClient, name: string, password: string): Promise<void> {
    const res = await c.fetch(`${hubBase}/hub/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hubBase },
      body: new URLSearchParams({ username: name, password }).toString(),
    });
    assert.equal(res.status, 302, await res.text());
  }

  async function xsrf(c: HostClient): Promise<string> {
    const html = await (await c.fetch(`${hubBase}/hub/home`)).text();
    const m = /name="_xsrf" value="([^"]+)"/.exec(html);
    assert.ok(m?.[1], 'no _xsrf on the home page');
    return m[1];
  }

  async function form(c: HostClient, path: string, fields: Record<string, string>) {
    return c.fetch(`${hubBase}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hubBase },
      body: new URLSearchParams(fields).toString(),
    });
  }

  before(async () => {
    const hub = hubImage();
    cluster = await startCluster({ images: [hub.rule] });
    forwarder = await forwardApiServerToPods(cluster);
    hub.setApiServer(forwarder.url);
    ns = await restrictedNamespace(cluster, 'ingress');
    port = await freeLoopbackPort();
    hubBase = `http://hub.${DOMAIN}:${String(port)}`;
    ({ hubBase: hubUpstream } = await installChart(cluster, {
      namespace: ns,
      release: 'gm',
      values: {
        publicUrl: hubBase,
        adminPassword: ADMIN_PASSWORD,
        'notebookIngress.enabled': true,
        'notebookIngress.baseDomain': DOMAIN,
        config: { profiles: smallProfiles },
        startTimeoutSeconds: 240,
      },
    }));
    // The controller serves the hub's own host first; notebook hosts are added per Ingress.
    nginx = await startNginx({ port, hubHost: `hub.${DOMAIN}`, hubUpstream, notebooks: [] });
  });

  after(async () => {
    for (const c of clients) await c.close();
    await nginx?.stop();
    await forwarder?.close();
    await cluster?.stop();
  });

  it('a started server gets an Ingress on its own host, which nginx serves', async () => {
    const c = need();
    await signIn(admin, 'admin', ADMIN_PASSWORD);
    const created = await form(admin, '/hub/admin/users', {
      _xsrf: await xsrf(admin),
      name: 'bob',
      access: 'password',
      password: 'bob-password',
    });
    assert.equal(created.status, 201, await created.text());
    const spawn = await form(admin, '/hub/spawn', { _xsrf: await xsrf(admin) });
    assert.equal(spawn.status, 302, await spawn.text());
    const events = await (
      await admin.fetch(`${hubBase}/hub/api/users/admin/server/progress`)
    ).text();
    assert.match(events, /"ready":true/, events);

    const ingresses = JSON.parse(
      await kubectlOk(c, ['get', 'ingresses', '-n', ns, '-o', 'json']),
    ) as {
      items: IngressObject[];
    };
    assert.equal(ingresses.items.length, 1);
    const rule = ingresses.items[0]?.spec.rules[0];
    assert.ok(rule);
    assert.equal(rule.host, `admin.${DOMAIN}`);
    assert.equal(rule.http.paths[0]?.path, '/user/admin/');
    const [path] = rule.http.paths;
    assert.ok(path);
    const backend = path.backend.service;
    // What an ingress controller does with the rule: host → the Service's ready endpoints.
    const upstream = await serviceEndpoint(c, ns, backend.name, backend.port.name);
    await nginx?.stop();
    nginx = await startNginx({
      port,
      hubHost: `hub.${DOMAIN}`,
      hubUpstream,
      notebooks: [{ host: rule.host, upstream }],
    });
    notebookBase = `http://${rule.host}:${String(port)}`;
  });

  it('the owner runs a cell through nginx, straight to the notebook pod', async () => {
    assert.ok(notebookBase);
    const status = await admin.fetch(`${notebookBase}/user/admin/api/status`);
    assert.equal(status.status, 200, await status.clone().text());
    const created = await admin.fetch(`${notebookBase}/user/admin/api/kernels`, {
      method: 'POST',
      headers: { origin: notebookBase, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(created.status, 201, await created.clone().text());
    const kernel = (await created.json()) as { id: string };
    const host = new URL(notebookBase).host;
    const result = await executeOverWebSocket(
      `ws://127.0.0.1:${String(port)}/user/admin/api/kernels/${kernel.id}/channels`,
      '6 * 7',
      { host, origin: notebookBase, cookie: admin.cookieHeaderFor(new URL(notebookBase).hostname) },
      120_000,
    );
    assert.equal(result, '42');
  });

  it('another user gets 403; no cookie is sent to sign in', async () => {
    assert.ok(notebookBase);
    const bob = new HostClient();
    clients.push(bob);
    await signIn(bob, 'bob', 'bob-password');
    const refused = await bob.fetch(`${notebookBase}/user/admin/api/status`);
    assert.equal(refused.status, 403);
    const anonymous = new HostClient();
    clients.push(anonymous);
    const redirected = await anonymous.fetch(`${notebookBase}/user/admin/lab`);
    assert.equal(redirected.status, 302);
    const location = new URL(redirected.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, `${hubBase}/hub/login`);
  });
});
