import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeApi } from '../client/kube-api.ts';
import { KubeApiError } from '../client/kube-api.ts';
import type { KubeObject, Pod } from '../plain.ts';
import { defaultBuildSettings } from '../resources/settings.ts';
import { annotationKeys, labelKeys } from '../labels.ts';
import { Admission } from './admission.ts';
import { arrayCache, queuedStatus } from './testing.ts';
import type { Caches } from './informers.ts';
import { holds, reconcileNotebook, type ReconcileDeps } from './reconcile.ts';
import { NODE_LOST_REASON, PULLING_REASON } from './status.ts';

const cache = arrayCache;

function setup(spec: Record<string, unknown> = { image: 'img', stopped: false }) {
  const calls: string[] = [];
  const notebook = {
    apiVersion: 'ganymede.dev/v1alpha1',
    kind: 'JupyterNotebook',
    metadata: { name: 'nb', namespace: 'ns', uid: 'uid-1', generation: 1 },
    spec: {
      interface: 'lab',
      resources: { gpu: 0 },
      storage: { size: '1Gi', retain: true },
      env: {},
      idleTimeoutMinutes: 0,
      baseUrl: '/',
      ...spec,
    },
  };
  const caches = {
    notebooks: cache([notebook]),
    deployments: cache(),
    services: cache(),
    secrets: cache(),
    claims: cache(),
    ingresses: cache(),
    networkPolicies: cache(),
    pods: cache<Pod>(),
    events: cache(),
    pulls: cache(),
  } as unknown as Caches & Record<keyof Caches, { items: KubeObject[] }>;
  let generation = 0;
  let failApply: KubeApiError | undefined;
  const api: KubeApi = {
    onRecovered: () => () => undefined,
    request: () => Promise.resolve(''),
    get: () => Promise.resolve(undefined),
    list: () => Promise.resolve({ items: [], metadata: {} }),
    apply: (o) => {
      if (failApply) return Promise.reject(failApply);
      calls.push(`apply ${o.kind ?? ''}/${o.metadata?.name ?? ''}`);
      const stored = {
        ...o,
        metadata: { ...o.metadata, generation: ++generation, resourceVersion: String(generation) },
      };
      return Promise.resolve(stored);
    },
    applyStatus: (o) => {
      calls.push(`status ${(o.status as { phase: string }).phase}`);
      return Promise.resolve(o);
    },
    create: (o) => {
      calls.push(`create ${o.kind ?? ''}/${o.metadata?.name ?? ''}`);
      return Promise.resolve('created');
    },
    close: () => undefined,
  };
  let tokens = 0;
  const deps: ReconcileDeps = {
    api,
    caches,
    settings: defaultBuildSettings,
    now: () => new Date('2026-01-01T00:00:00Z'),
    newToken: () => `token-${++tokens}`,
    applied: new Map(),
    logTails: new Map(),
    written: new Map(),
  };
  return {
    deps,
    calls,
    caches,
    failWith: (e: KubeApiError | undefined) => {
      failApply = e;
    },
  };
}

describe('reconcileNotebook', () => {
  it('creates the Secret, applies every object, writes status, in that order', async () => {
    const { deps, calls } = setup();
    const result = await reconcileNotebook(deps, 'ns/nb');
    assert.deepEqual(result, { outcome: 'done', phase: 'Pending' });
    assert.equal(calls[0], 'create Secret/nb');
    assert.deepEqual(calls.slice(1, -1).sort(), [
      'apply Deployment/nb',
      'apply NetworkPolicy/nb',
      'apply PersistentVolumeClaim/nb-home',
      'apply Service/nb',
    ]);
    assert.equal(calls.at(-1), 'status Pending');
  });

  it('changes nothing when run again with nothing new, even before the cache shows its write', async () => {
    const { deps, calls, caches } = setup();
    await reconcileNotebook(deps, 'ns/nb');
    // The caches now hold what was applied (as the watches would deliver it).
    caches.secrets.items.push({ metadata: { name: 'nb', namespace: 'ns' } });
    for (const [id, memo] of deps.applied) {
      const [kind, ns, name] = id.split('/');
      const target = {
        Deployment: caches.deployments,
        Service: caches.services,
        NetworkPolicy: caches.networkPolicies,
        PersistentVolumeClaim: caches.claims,
      }[kind ?? ''];
      target?.items.push({
        metadata: {
          name: name ?? '',
          namespace: ns ?? '',
          generation: Number(memo.version.slice(1)),
        },
      });
    }
    calls.length = 0;
    await reconcileNotebook(deps, 'ns/nb');
    assert.deepEqual(calls, [], 'no create, no apply, no status write');
  });

  it('a new operator (no memory) skips what already holds its last apply, and re-applies drift', async () => {
    const first = setup();
    const applied: KubeObject[] = [];
    const api = first.deps.api;
    const apply = api.apply.bind(api);
    first.deps.api.apply = async (o, manager) => {
      applied.push(o);
      return apply(o, manager);
    };
    await reconcileNotebook(first.deps, 'ns/nb');
    const fresh = setup();
    fresh.caches.secrets.items.push({ metadata: { name: 'nb', namespace: 'ns' } });
    const target = (kind: string | undefined) =>
      ({
        Deployment: fresh.caches.deployments,
        Service: fresh.caches.services,
        NetworkPolicy: fresh.caches.networkPolicies,
        PersistentVolumeClaim: fresh.caches.claims,
      })[kind ?? ''];
    // What the API server holds: what was applied, with defaults and status of its own.
    for (const o of applied) {
      target(o.kind)?.items.push({
        ...structuredClone(o),
        metadata: { ...structuredClone(o.metadata), generation: 3, resourceVersion: '77' },
        status: { observed: true },
      } as KubeObject);
    }
    fresh.calls.length = 0;
    await reconcileNotebook(fresh.deps, 'ns/nb');
    assert.deepEqual(
      fresh.calls.filter((c) => c.startsWith('apply')),
      [],
      'nothing re-applied on restart',
    );
    // Someone changes a field the operator owns (kubectl edit): the next look re-applies it.
    const deployment = fresh.caches.deployments.items[0] as KubeObject & {
      spec: { replicas: number };
    };
    deployment.spec.replicas = 5;
    deployment.metadata = { ...deployment.metadata, generation: 4 };
    fresh.calls.length = 0;
    await reconcileNotebook(fresh.deps, 'ns/nb');
    assert.deepEqual(
      fresh.calls.filter((c) => c.startsWith('apply')),
      ['apply Deployment/nb'],
    );
    // An object applied by an older operator (no hash, or another one) is applied again.
    const service = fresh.caches.services.items[0]!;
    service.metadata = { ...service.metadata, annotations: {}, resourceVersion: '78' };
    fresh.deps.applied.clear();
    fresh.calls.length = 0;
    await reconcileNotebook(fresh.deps, 'ns/nb');
    assert.deepEqual(fresh.calls.filter((c) => c.startsWith('apply')).sort(), [
      'apply Deployment/nb',
      'apply Service/nb',
    ]);
  });

  it('holds: every value set is there, lists element by element, extras ignored', () => {
    assert.ok(
      holds({ a: 1, b: { c: [1, { d: 2, e: 3 }] }, x: 9 }, { a: 1, b: { c: [1, { d: 2 }] } }),
    );
    assert.ok(!holds({ a: 1 }, { a: 2 }));
    assert.ok(!holds({ a: [1, 2, 3] }, { a: [1, 2] }), 'a list is the whole list');
    assert.ok(!holds({}, { a: { b: 1 } }));
    assert.ok(!holds({ a: '1' }, { a: 1 }));
    assert.ok(holds({ a: null }, { a: null }));
  });

  it('never creates the Secret twice once the cache has it', async () => {
    const { deps, calls, caches } = setup();
    caches.secrets.items.push({ metadata: { name: 'nb', namespace: 'ns' } });
    await reconcileNotebook(deps, 'ns/nb');
    assert.ok(!calls.some((c) => c.startsWith('create')));
  });

  it('reports a refused apply as Failed and asks for a retry', async () => {
    const { deps, calls, failWith } = setup();
    failWith(new KubeApiError(422, 'Invalid', 'spec.resources.requests: field is immutable'));
    const result = await reconcileNotebook(deps, 'ns/nb');
    assert.equal(result.outcome, 'retry');
    assert.equal(calls.at(-1), 'status Failed');
  });

  it('does nothing for a deleted notebook (the garbage collector does the rest)', async () => {
    const { deps, calls, caches } = setup();
    caches.notebooks.items.length = 0;
    assert.deepEqual(await reconcileNotebook(deps, 'ns/nb'), { outcome: 'done' });
    assert.deepEqual(calls, []);
  });

  it('holds a start back while others hold every turn: storage yes, pod no, and says why', async () => {
    const { deps, calls, caches } = setup();
    let limit = 1;
    const admission = new Admission({ limit: () => limit, now: deps.now, spreadMs: 0 });
    const withAdmission = { ...deps, admission };
    // Another notebook is starting (admitted: its Deployment asks for a pod; not ready).
    caches.notebooks.items.push({
      metadata: { name: 'other', namespace: 'ns', uid: 'uid-2', generation: 1 },
      spec: { stopped: false },
    } as KubeObject);
    caches.deployments.items.push({
      metadata: { name: 'other', namespace: 'ns' },
      spec: { replicas: 1 },
    } as KubeObject);
    assert.deepEqual(await reconcileNotebook(withAdmission, 'ns/nb'), {
      outcome: 'done',
      phase: 'Pending',
    });
    assert.ok(calls.includes('apply PersistentVolumeClaim/nb-home'));
    assert.ok(!calls.includes('apply Deployment/nb'), 'no pod before its turn');
    const status = deps.written.get('ns/nb')?.status;
    assert.ok(status);
    const conditions = status.conditions ?? [];
    assert.equal(conditions.find((c) => c.type === 'Ready')?.reason, 'Queued');
    assert.deepEqual(
      conditions.find((c) => c.type === 'Admitted'),
      {
        type: 'Admitted',
        status: 'False',
        reason: 'Queued',
        message: status.message,
        lastTransitionTime: '2026-01-01T00:00:00.000Z',
        observedGeneration: 1,
      },
    );
    assert.deepEqual(admission.waiting(), ['ns/nb']);
    // A turn comes free: the next reconcile creates the Deployment with one replica.
    limit = 2;
    calls.length = 0;
    await reconcileNotebook(withAdmission, 'ns/nb');
    assert.ok(calls.includes('apply Deployment/nb'));
    assert.equal(
      deps.written.get('ns/nb')?.status.conditions?.find((c) => c.type === 'Admitted')?.status,
      'True',
    );
  });

  it('creates nothing for a start far back in the queue until its turn is near', async () => {
    const { deps, calls, caches } = setup();
    const admission = new Admission({ limit: () => 1, now: deps.now, spreadMs: 0 });
    const withAdmission = { ...deps, admission };
    // One starting (its Deployment asks for a pod), two queued earlier than nb: with one turn,
    // nb is two sets of turns away (PREPARE_BATCHES), so nothing of it is created yet.
    const other = (name: string, uid: string, queuedAt?: string): void => {
      caches.notebooks.items.push({
        metadata: { name, namespace: 'ns', uid, generation: 1 },
        spec: { stopped: false },
        ...(queuedAt === undefined ? {} : { status: queuedStatus(queuedAt) }),
      } as KubeObject);
    };
    other('starting', 'uid-s');
    caches.deployments.items.push({
      metadata: { name: 'starting', namespace: 'ns' },
      spec: { replicas: 1 },
    } as KubeObject);
    other('first', 'uid-f', '2025-12-31T23:59:00Z');
    other('second', 'uid-2', '2025-12-31T23:59:01Z');
    assert.deepEqual(await reconcileNotebook(withAdmission, 'ns/nb'), {
      outcome: 'done',
      phase: 'Pending',
    });
    assert.deepEqual(calls, ['status Pending'], 'no Secret, claim, Service or NetworkPolicy yet');
    // The starting one is ready and the first in line took its turn: nb is now within two
    // sets of turns, so it is prepared.
    caches.deployments.items.push({
      metadata: { name: 'first', namespace: 'ns' },
      spec: { replicas: 1 },
    } as KubeObject);
    caches.pods.items.push({
      metadata: {
        name: 'starting-pod',
        namespace: 'ns',
        labels: { [labelKeys.notebook]: 'starting' },
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    } as Pod);
    calls.length = 0;
    await reconcileNotebook(withAdmission, 'ns/nb');
    assert.ok(calls.includes('create Secret/nb'), calls.join(', '));
    assert.ok(calls.includes('apply PersistentVolumeClaim/nb-home'));
    assert.ok(!calls.includes('apply Deployment/nb'), 'still no pod before its turn');
  });

  it("does not blame a new image for an earlier image's pull error (a retry with another environment)", async () => {
    const { deps, caches } = setup({ image: 'new-image', stopped: false });
    const pullError = (image: string): Pod => ({
      metadata: {
        name: `nb-${image}`,
        namespace: 'ns',
        uid: `pod-${image}`,
        labels: { 'ganymede.dev/notebook': 'nb' },
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: { nodeName: 'node', containers: [{ name: 'notebook', image }] },
      status: {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'notebook',
            image,
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ErrImagePull', message: 'not found' } },
          },
        ],
      },
    });
    caches.pods.items.push(pullError('old-image'));
    const before = await reconcileNotebook(deps, 'ns/nb');
    assert.notEqual(before.outcome === 'done' ? before.phase : '', 'Failed');
    // The same error from a pod of the current image is the current image's problem.
    caches.pods.items.length = 0;
    caches.pods.items.push(pullError('new-image'));
    assert.deepEqual(await reconcileNotebook(deps, 'ns/nb'), { outcome: 'done', phase: 'Failed' });
  });

  it('says the image is downloading while the kubelet pulls it, and not after', async () => {
    const { deps, caches } = setup({ image: 'img:1', stopped: false });
    const written: { reason?: string | undefined } = {};
    deps.api.applyStatus = (o) => {
      const status = o.status as { conditions?: { type: string; reason?: string }[] };
      written.reason = status.conditions?.find((c) => c.type === 'Ready')?.reason;
      return Promise.resolve(o);
    };
    const starting = (state: Record<string, unknown>): Pod => ({
      metadata: {
        name: 'nb-pod',
        namespace: 'ns',
        uid: 'pod-1',
        labels: { 'ganymede.dev/notebook': 'nb' },
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: { nodeName: 'node', containers: [{ name: 'notebook', image: 'img:1' }] },
      status: {
        phase: 'Pending',
        containerStatuses: [
          { name: 'notebook', image: 'img:1', imageID: '', ready: false, restartCount: 0, state },
        ],
      },
    });
    caches.pods.items.push(starting({ waiting: { reason: 'ContainerCreating' } }));
    await reconcileNotebook(deps, 'ns/nb');
    assert.equal(written.reason, 'Starting', 'no Pulling event: the image is on the machine');
    caches.pulls.items.push({
      metadata: { name: 'e1', namespace: 'ns' },
      involvedObject: { kind: 'Pod', name: 'nb-pod', namespace: 'ns', uid: 'pod-1' },
      reason: 'Pulling',
      message: 'Pulling image "img:1"',
    } as KubeObject);
    await reconcileNotebook(deps, 'ns/nb');
    assert.equal(written.reason, PULLING_REASON);
    caches.pods.items[0] = starting({ running: { startedAt: '2026-01-01T00:00:09Z' } });
    await reconcileNotebook(deps, 'ns/nb');
    assert.equal(written.reason, 'WaitingForServer', 'the container runs: the pull is over');
  });

  it('ends a start whose pod was bound before its node went silent and lost; not one bound after (the node came back)', async () => {
    const { deps, caches } = setup({ image: 'img:1', stopped: false });
    const notebook = caches.notebooks.items[0]!;
    notebook.metadata = {
      ...notebook.metadata,
      annotations: { [annotationKeys.startRequestedAt]: '2025-12-31T23:59:00Z' },
    };
    const written: { phase?: string; reason?: string | undefined } = {};
    deps.api.applyStatus = (o) => {
      const status = o.status as {
        phase: string;
        conditions?: { type: string; reason?: string }[];
      };
      written.phase = status.phase;
      written.reason = status.conditions?.find((c) => c.type === 'Ready')?.reason;
      return Promise.resolve(o);
    };
    // The node is lost in the operator's last look at the node list: silent since 23:59:30.
    const silentSince = Date.parse('2025-12-31T23:59:30Z');
    const withNodes: ReconcileDeps = {
      ...deps,
      nodes: {
        state: () => 'lost',
        lostAt: () => silentSince + 10_000,
        silentSince: () => silentSince,
      },
    };
    const pod = (scheduledAt: string): Pod => ({
      metadata: {
        name: 'nb-pod',
        namespace: 'ns',
        uid: 'pod-1',
        labels: { 'ganymede.dev/notebook': 'nb' },
        creationTimestamp: scheduledAt,
      },
      spec: { nodeName: 'node', containers: [{ name: 'notebook', image: 'img:1' }] },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: scheduledAt }],
      },
    });
    caches.pods.items.push(pod('2025-12-31T23:59:10Z'));
    await reconcileNotebook(withNodes, 'ns/nb');
    assert.deepEqual(written, { phase: 'Stopped', reason: NODE_LOST_REASON });
    // A new start placed after the node went silent: the scheduler saw it ready again.
    notebook.metadata = {
      ...notebook.metadata,
      annotations: { [annotationKeys.startRequestedAt]: '2026-01-01T00:00:00Z' },
    };
    caches.pods.items[0] = pod('2026-01-01T00:00:00Z');
    await reconcileNotebook(withNodes, 'ns/nb');
    assert.equal(written.phase, 'Starting');
  });

  it('reports an invalid stored spec without applying anything', async () => {
    const { deps, calls } = setup({ image: '' });
    assert.deepEqual(await reconcileNotebook(deps, 'ns/nb'), { outcome: 'done', phase: 'Failed' });
    assert.deepEqual(calls, ['status Failed']);
  });
});
