/**
 * Issue 16, point 1: the API server goes away for two minutes (its process stopped, then
 * started again on the same port with the same certificates and flags) under a hub running the
 * operator, with PostgreSQL as its store. Throughout, a running notebook answers through the
 * hub's proxy every second and the hub's API keeps it ready; a start asked for meanwhile waits
 * with "The cluster is not answering, retrying" and completes once the API server is back; a
 * stop asked for meanwhile is accepted (202, pending "stop") and carried out after; the
 * operator never writes a stopped status; the watches resume without a hub restart.
 *
 * GANYMEDE_FAULT_API_OUTAGE_SECONDS shortens (or lengthens) the outage; default 120.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { K8S_MESSAGES } from '../../../src/backends/kubernetes/messages.ts';
import { resourceNameOf } from '../../../src/backends/kubernetes/notebook-request.ts';
import type { Browser } from '../../helpers/test-hub.ts';
import { getJson } from '../kubernetes-backend/setup.ts';
import {
  apiServer,
  pollServer,
  pressStart,
  recordingLogger,
  signInPeople,
  startFaultCluster,
  startFaultHub,
  stopAll,
  type FaultHub,
  type FaultSetup,
} from './setup.ts';

const outageMs = Number(process.env['GANYMEDE_FAULT_API_OUTAGE_SECONDS'] ?? '120') * 1000;

interface NotebookStatusView {
  status?: { phase?: string; conditions?: { type: string; lastTransitionTime: string }[] };
}

describe('the API server down for a while', { timeout: 900_000 }, () => {
  let setup: FaultSetup | undefined;
  let hub: FaultHub | undefined;
  let alice: Browser;
  let bob: Browser;
  let carol: Browser;
  const { log, records } = recordingLogger();

  before(async () => {
    setup = await startFaultCluster('faults-api');
    hub = await startFaultHub(setup, { log });
    [alice, bob, carol] = (await signInPeople(hub.hub.url, ['alice', 'bob', 'carol'])) as [
      Browser,
      Browser,
      Browser,
    ];
    for (const person of [alice, carol]) {
      const events = await (await pressStart(person)).done;
      assert.ok(
        events.some((e) => e.ready === true),
        JSON.stringify(events),
      );
    }
  });

  after(async () => {
    await stopAll({ hub, setup });
  });

  it('notebooks keep answering, nothing is reported stopped, a start and a stop wait and complete', async () => {
    assert.ok(setup && hub);
    const { cluster, namespace } = setup;
    const aliceNotebook = resourceNameOf({ user: 'alice', server: '' });
    const before = await getJson<NotebookStatusView>(cluster, [
      'get',
      'jupyternotebook',
      '-n',
      namespace,
      aliceNotebook,
    ]);
    assert.equal(before.status?.phase, 'Running');

    const poll = pollServer(alice);
    await new Promise((r) => setTimeout(r, 2000));
    const downAt = Date.now();
    await cluster.faults.stopApiServer();
    // A start asked for while the cluster does not answer.
    await new Promise((r) => setTimeout(r, 2000));
    const bobStart = await pressStart(bob);
    // A stop asked for meanwhile: accepted, told as pending, carried out once it answers.
    const carolStop = await carol.fetch('/hub/api/users/carol/server', {
      method: 'DELETE',
      headers: { 'x-xsrftoken': await carol.xsrf() },
    });
    assert.equal(carolStop.status, 202, await carolStop.text());
    assert.equal((await apiServer(carol))?.pending, 'stop');
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + outageMs - Date.now())));
    // Still down: the start waits, and says why in plain words.
    const waiting = bobStart.events.map((e) => e.message);
    assert.ok(waiting.includes(K8S_MESSAGES.clusterNotAnswering), JSON.stringify(waiting));
    assert.ok(!bobStart.events.some((e) => e.failed === true), JSON.stringify(waiting));
    const bobWhileDown = await apiServer(bob);
    assert.equal(bobWhileDown?.ready, false);
    assert.equal(bobWhileDown.pending, 'spawn');
    const upAt = Date.now();
    await cluster.faults.startApiServer();
    const apiBackAt = Date.now();

    // The start completes once the cluster answers: the hub heard the operator's status
    // through its watches, which came back by themselves.
    const events = await bobStart.done;
    const readyAt = Date.now();
    assert.ok(events.at(-1)?.ready === true, JSON.stringify(events));
    const bobServer = await bob.fetch('/user/bob/api/status');
    assert.equal(bobServer.status, 200, await bobServer.text());

    // Keep asking alice's server a while after the return, when the cluster catches up on
    // what it missed (the node's heartbeats among it).
    await new Promise((r) => setTimeout(r, 30_000));
    await poll.stop();
    const failed = poll.answers
      .filter((a) => a.status !== 200 || a.ready !== true)
      .map((a) => ({ ...a, at: `${String(Math.round((a.at - downAt) / 1000))} s after the stop` }));
    assert.deepEqual(
      failed,
      [],
      `${String(failed.length)} of ${String(poll.answers.length)} failed; API server back ${String(Math.round((upAt - downAt) / 1000))} s after the stop`,
    );
    const whileDown = poll.answers.filter((a) => a.at >= downAt && a.at <= upAt);
    assert.ok(
      whileDown.length >= Math.floor(outageMs / 1000) - 5,
      `${String(whileDown.length)} requests during the outage`,
    );

    // The operator wrote no stopped (nor any other) state for alice's server: its status and
    // Ready condition are the ones from before the outage.
    const afterward = await getJson<NotebookStatusView>(cluster, [
      'get',
      'jupyternotebook',
      '-n',
      namespace,
      aliceNotebook,
    ]);
    assert.equal(afterward.status?.phase, 'Running');
    assert.deepEqual(
      afterward.status.conditions?.find((c) => c.type === 'Ready'),
      before.status.conditions?.find((c) => c.type === 'Ready'),
    );

    // Watches resumed (no hub restart): alice's stop is seen through them to the end.
    const stop = await alice.fetch('/hub/api/users/alice/server', {
      method: 'DELETE',
      headers: { 'x-xsrftoken': await alice.xsrf() },
    });
    assert.ok([202, 204].includes(stop.status), await stop.text());
    const stopDeadline = Date.now() + 120_000;
    while ((await apiServer(alice)) !== undefined) {
      assert.ok(Date.now() < stopDeadline, 'alice never reported stopped');
      await new Promise((r) => setTimeout(r, 500));
    }
    // Carol's stop, asked for during the outage, was carried out after it.
    const carolDeadline = Date.now() + 120_000;
    while ((await apiServer(carol)) !== undefined) {
      assert.ok(Date.now() < carolDeadline, 'carol never reported stopped');
      await new Promise((r) => setTimeout(r, 500));
    }
    const carolNotebook = await getJson<{ spec: { stopped?: boolean } }>(cluster, [
      'get',
      'jupyternotebook',
      '-n',
      namespace,
      resourceNameOf({ user: 'carol', server: '' }),
    ]);
    assert.equal(carolNotebook.spec.stopped, true);
    const watchErrors = records.filter((r) => r.msg?.startsWith('watch failed') === true);
    console.log(
      `outage ${String(Math.round((apiBackAt - downAt) / 1000))} s; ${String(whileDown.length)} proxied requests during it, all 200; ` +
        `bob ready ${String(Math.round((readyAt - apiBackAt) / 1000))} s after the API server; ` +
        `${String(watchErrors.length)} watch errors logged`,
    );
  });
});
