/**
 * Issue 16, point 2: etcd restarted, and a watch that stalls (its connection open, nothing
 * coming through: a proxy in front of the API server stops forwarding the streams it has open).
 * The hub (operator inside, PostgreSQL as its store) reaches the API server through that proxy.
 * In both cases a change made meanwhile (the server stopped with kubectl) is noticed within the
 * documented bound, the caches converge (pod gone, status Stopped, the hub's API agrees), and a
 * start afterwards works, without restarting the hub.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resourceNameOf } from '../../../src/backends/kubernetes/notebook-request.ts';
import { WATCH_SILENCE_MS } from '../../../src/kubernetes/operator/informers.ts';
import type { WatchStaller } from '../../cluster/faults.ts';
import type { Browser } from '../../helpers/test-hub.ts';
import { getJson, kubectlOk, listItems } from '../kubernetes-backend/setup.ts';
import {
  apiServer,
  pressStart,
  recordingLogger,
  signInPeople,
  startFaultCluster,
  startFaultHub,
  stopAll,
  type FaultHub,
  type FaultSetup,
} from './setup.ts';

/** What a change takes to reach the hub's API once its watch delivers it: a little. */
const DELIVERY_MS = 10_000;

describe('etcd restarted, and a stalled watch', { timeout: 900_000 }, () => {
  let setup: FaultSetup | undefined;
  let hub: FaultHub | undefined;
  let staller: WatchStaller | undefined;
  let alice: Browser;
  const { log, records } = recordingLogger();
  const notebook = resourceNameOf({ user: 'alice', server: '' });

  before(async () => {
    setup = await startFaultCluster('faults-watch');
    staller = await setup.cluster.faults.watchStaller();
    hub = await startFaultHub(setup, { kubeconfigPath: staller.kubeconfigPath, log });
    [alice] = (await signInPeople(hub.hub.url, ['alice'])) as [Browser];
  });

  after(async () => {
    staller?.resume();
    await stopAll({ hub, setup });
    await staller?.close();
  });

  /** Starts alice's server through the hub and waits for ready. */
  async function startAlice(): Promise<void> {
    const events = await (await pressStart(alice)).done;
    assert.equal(events.at(-1)?.ready, true, JSON.stringify(events));
    assert.equal((await apiServer(alice))?.ready, true);
  }

  /** Stops alice's server behind the hub's back; resolves with how long until the hub's API
   * no longer calls it ready (the notebook watch delivered the change). */
  async function stopBehindTheHub(limitMs: number): Promise<number> {
    assert.ok(setup);
    const at = Date.now();
    await kubectlOk(setup.cluster, [
      'patch',
      'jupyternotebook',
      '-n',
      setup.namespace,
      notebook,
      '--type=merge',
      '-p',
      '{"spec":{"stopped":true}}',
    ]);
    for (;;) {
      if ((await apiServer(alice))?.ready !== true) return Date.now() - at;
      assert.ok(Date.now() - at < limitMs, `the hub still said ready after ${String(limitMs)} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The operator finished the stop (it heard of it by its watches) and the hub agrees. */
  async function converged(limitMs: number): Promise<number> {
    assert.ok(setup);
    const { cluster, namespace } = setup;
    const at = Date.now();
    for (;;) {
      const nb = await getJson<{ status?: { phase?: string } }>(cluster, [
        'get',
        'jupyternotebook',
        '-n',
        namespace,
        notebook,
      ]);
      const pods = await listItems(cluster, namespace, 'pods');
      if (nb.status?.phase === 'Stopped' && pods.length === 0 && !(await apiServer(alice))) {
        return Date.now() - at;
      }
      assert.ok(Date.now() - at < limitMs, `not converged: ${JSON.stringify(nb.status)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  it('etcd restarted: watches carry on, a change is seen, a start works', async () => {
    assert.ok(setup);
    await startAlice();
    const began = Date.now();
    await setup.cluster.faults.restartEtcd();
    const etcdBackMs = Date.now() - began;
    const noticedMs = await stopBehindTheHub(WATCH_SILENCE_MS + DELIVERY_MS);
    const convergedMs = await converged(120_000);
    await startAlice();
    console.log(
      `etcd back in ${String(etcdBackMs)} ms; stop noticed in ${String(noticedMs)} ms, converged ${String(convergedMs)} ms later`,
    );
  });

  it('a stalled watch is noticed within the bound, and the caches converge', async () => {
    assert.ok(setup && staller);
    const silentBefore = records.filter((r) => r.kind === 'notebooks' && isSilent(r)).length;
    staller.pause();
    try {
      // Everything the hub had open to the API server is stuck now: watches and pooled
      // connections alike. New connections pass, as past one stuck load-balancer connection.
      const noticedMs = await stopBehindTheHub(WATCH_SILENCE_MS + DELIVERY_MS);
      const silentAfter = records.filter((r) => r.kind === 'notebooks' && isSilent(r)).length;
      assert.ok(silentAfter > silentBefore, 'the notebook watch was given up for silence');
      const convergedMs = await converged(180_000);
      console.log(
        `stalled: stop noticed in ${String(noticedMs)} ms (bound ${String(WATCH_SILENCE_MS)} ms), converged ${String(convergedMs)} ms later`,
      );
    } finally {
      staller.resume();
    }
    await startAlice();
    const pods = await listItems(setup.cluster, setup.namespace, 'pods');
    assert.equal(pods.length, 1, 'one pod, no duplicate');
  });
});

function isSilent(record: { msg?: string }): boolean {
  return record.msg?.startsWith('watch silent') === true;
}
