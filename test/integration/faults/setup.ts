/**
 * Shared set-up of the fault tests (issue 16): a real control plane with the node agent, real
 * PostgreSQL as the hub's store, one hub in this process with the operator inside (as `serve`
 * runs it), people signed in as a browser would, and what the tests watch while a fault lasts:
 * a server polled through the proxy, and a start's progress stream read as it arrives.
 */
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { startCluster, type TestCluster } from '../../cluster/harness.ts';
import { startK8sHub } from '../../helpers/k8s-hub.ts';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.ts';
import { ADMIN_PASSWORD, Browser } from '../../helpers/test-hub.ts';
import { installCrd, jupyterProfile, restrictedNamespace } from '../kubernetes-backend/setup.ts';

export type FaultHub = Awaited<ReturnType<typeof startK8sHub>>;

export interface LogRecord {
  readonly msg?: string;
  readonly kind?: string;
  readonly level: number;
  readonly time: number;
}

/** A debug-level logger whose records the test can read (and prints warnings as they come
 * when GANYMEDE_FAULT_LOG=1, to follow a run). */
export function recordingLogger(): { log: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const echo = process.env['GANYMEDE_FAULT_LOG'] === '1';
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const record = JSON.parse(line) as LogRecord;
        records.push(record);
        if (echo && record.level >= 40) process.stderr.write(line);
      },
    },
  );
  return { log, records };
}

export interface FaultSetup {
  readonly cluster: TestCluster;
  readonly pg: TestPostgres;
  readonly namespace: string;
  readonly storeUrl: string;
}

export async function startFaultCluster(prefix: string): Promise<FaultSetup> {
  const pg = await startPostgres();
  try {
    const cluster = await startCluster();
    try {
      await installCrd(cluster);
      const namespace = await restrictedNamespace(cluster, prefix);
      return { cluster, pg, namespace, storeUrl: await pg.createDatabase() };
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  } catch (e) {
    await pg.stop();
    throw e;
  }
}

export async function startFaultHub(
  setup: FaultSetup,
  options: {
    readonly kubeconfigPath?: string;
    readonly log?: Logger;
    readonly kubernetes?: Record<string, unknown>;
  } = {},
): Promise<FaultHub> {
  return startK8sHub({
    kubeconfigPath: options.kubeconfigPath ?? setup.cluster.kubeconfigPath,
    namespace: setup.namespace,
    runOperator: true,
    storeUrl: setup.storeUrl,
    config: { profiles: [jupyterProfile] },
    ...(options.log ? { log: options.log } : {}),
    ...(options.kubernetes ? { kubernetes: options.kubernetes } : {}),
  });
}

/** Adds each person with a password (through the admin page) and signs them in. */
export async function signInPeople(hubUrl: string, names: readonly string[]): Promise<Browser[]> {
  const admin = new Browser(hubUrl);
  await admin.signIn('admin', ADMIN_PASSWORD);
  const people: Browser[] = [];
  for (const name of names) {
    const res = await admin.form('/hub/admin/users', {
      _xsrf: await admin.xsrf(),
      name,
      access: 'password',
      password: `${name}-password`,
    });
    assert.ok([201, 302].includes(res.status), await res.text());
    const person = new Browser(hubUrl);
    await person.signIn(name, `${name}-password`);
    people.push(person);
  }
  return people;
}

export interface ServerModel {
  readonly ready: boolean;
  readonly pending: string | null;
  readonly stopped?: boolean;
}

/** The person's default server as `GET /hub/api/users/<name>` reports it (absent: stopped). */
export async function apiServer(person: Browser): Promise<ServerModel | undefined> {
  const res = await person.fetch(`/hub/api/users/${encodeURIComponent(person.user)}`);
  assert.equal(res.status, 200, await res.clone().text());
  const me = (await res.json()) as { servers: Record<string, ServerModel> };
  return me.servers[''];
}

export interface ProgressEvent {
  readonly progress: number;
  readonly message: string;
  readonly ready?: boolean;
  readonly failed?: boolean;
  /** When the test read it (ms). */
  readonly at: number;
}

/**
 * Presses Start and reads the progress stream (SSE) as it arrives, as the progress page does;
 * `done` resolves with every event once the stream ends (after `ready` or `failed`).
 */
export async function pressStart(
  person: Browser,
): Promise<{ events: ProgressEvent[]; done: Promise<ProgressEvent[]> }> {
  const res = await person.form('/hub/spawn', { _xsrf: await person.xsrf() });
  assert.equal(res.status, 302, await res.text());
  const stream = await person.fetch(
    `/hub/api/users/${encodeURIComponent(person.user)}/server/progress`,
  );
  assert.equal(stream.status, 200);
  assert.ok(stream.body);
  const events: ProgressEvent[] = [];
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of stream.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        for (const line of block.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const event = JSON.parse(line.slice(5)) as Omit<ProgressEvent, 'at'>;
          events.push({ ...event, at: Date.now() });
        }
      }
    }
    return events;
  })();
  return { events, done };
}

export interface PollAnswer {
  readonly at: number;
  /** The proxy's HTTP status, or the error's message. */
  readonly status: number | string;
  /** `ready` in the hub's API at the time. */
  readonly ready: boolean | undefined;
  /** The start of the body of an answer other than 200. */
  readonly body?: string;
}

/**
 * Asks the person's running server for its status through the hub's proxy once a second
 * (and the hub's API for the server's state) until `stop()`; every answer is kept.
 */
export function pollServer(person: Browser): {
  readonly answers: PollAnswer[];
  stop(): Promise<void>;
} {
  const answers: PollAnswer[] = [];
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      const at = Date.now();
      let status: number | string;
      let body: string | undefined;
      try {
        const res = await person.fetch(`/user/${encodeURIComponent(person.user)}/api/status`, {
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        status = res.status;
        if (status !== 200) body = text.slice(0, 300);
      } catch (e) {
        status = e instanceof Error ? e.message : String(e);
      }
      const ready = (await apiServer(person).catch(() => undefined))?.ready;
      answers.push({ at, status, ready, ...(body === undefined ? {} : { body }) });
      await new Promise((r) => setTimeout(r, Math.max(0, at + 1000 - Date.now())));
    }
  })();
  return {
    answers,
    async stop() {
      state.running = false;
      await loop;
    },
  };
}

export async function stopAll(parts: {
  hub?: FaultHub | undefined;
  setup?: FaultSetup | undefined;
}): Promise<void> {
  await parts.hub?.close().catch(() => undefined);
  await parts.setup?.cluster.stop();
  await parts.setup?.pg.stop();
}
