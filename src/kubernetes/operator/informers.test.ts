import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeApi } from '../client/kube-api.ts';
import { createInformers } from './informers.ts';

// A list that fails every time (an API server that refuses, a lost permission): the informer
// restarts it with growing delays, not once a second; it does not give up either.
test('a list failing on every restart is retried with capped exponential backoff', async () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  let lists = 0;
  const api = {
    list: () => {
      lists++;
      return Promise.reject(Object.assign(new Error('forbidden'), { status: 403 }));
    },
  } as unknown as KubeApi;
  const delays: number[] = [];
  let clock = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const informers = createInformers({
    kubeConfig,
    api,
    namespace: 'ns',
    only: ['notebooks'],
    onError: () => undefined,
    backoff: { baseMs: 1000, capMs: 30_000, healthyAfterMs: 60_000 },
    now: () => clock,
    sleep: (ms) => {
      delays.push(ms);
      clock += ms + 10;
      if (delays.length >= 8) {
        done();
        return new Promise<void>(() => undefined);
      }
      return Promise.resolve();
    },
  });
  await informers.start();
  await finished;
  assert.equal(lists, 8);
  const steps = [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000];
  delays.forEach((d, i) => {
    const step = steps[i] ?? 0;
    assert.ok(
      d >= step / 2 && d <= step,
      `retry ${String(i)}: ${String(d)} ms, step ${String(step)}`,
    );
  });
  await informers.stop();
});
