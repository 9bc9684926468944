/**
 * Soak (issue 16, point 6): simulated people signing in, starting servers, running cells
 * through the proxy, writing files, stopping and being culled, in random order, against two
 * hub replicas on the test cluster (real Jupyter servers), while faults are injected on a
 * schedule. Bounded: it stops by itself. See README.md for the method.
 *
 * Usage: node bench/soak/run.ts [--minutes 30] [--users 200] [--seed 1] [--no-faults]
 *          [--max-running 20] [--idle-seconds 90] [--fault-every 4] [--faults a,b]
 *          [--verify-minutes 4] [--out bench/results] [--name soak]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { trackForCleanup } from '../../test/cluster/cleanup.ts';
import { startCluster, type TestCluster } from '../../test/cluster/harness.ts';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.ts';
import { installCrd, restrictedNamespace } from '../../test/integration/operator/helpers.ts';
import { machineInfo } from '../machine.ts';
import { PersonClient } from './client.ts';
import { availableFaults, faultWindows, runFaults, type FaultEvent } from './faults.ts';
import { leftovers, filesOnDisk, strayProcesses, type Leftovers } from './leftovers.ts';
import { Person, type WrittenFile } from './person.ts';
import { seeded } from './random.ts';
import { Replicas } from './replicas.ts';
import { renderMarkdown, type SoakResult } from './report.ts';
import { faultKinds, faultSchedule, phases, type FaultKind } from './schedule.ts';
import { Slots } from './slots.ts';
import { summarizeActions, type ActionKind, type ActionRecord } from './stats.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values: raw } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    users: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    'no-faults': { type: 'boolean', default: false },
    'max-running': { type: 'string', default: '20' },
    'idle-seconds': { type: 'string', default: '90' },
    'fault-every': { type: 'string', default: '4' },
    faults: { type: 'string', default: faultKinds.join(',') },
    'verify-minutes': { type: 'string', default: '4' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
    name: { type: 'string', default: 'soak' },
    'keep-logs': { type: 'boolean', default: false },
  },
});
const num = z.coerce.number().positive();
const settings = z
  .strictObject({
    minutes: num,
    users: num.int(),
    seed: z.coerce.number().int(),
    'no-faults': z.boolean(),
    'max-running': num.int(),
    'idle-seconds': num,
    'fault-every': num,
    faults: z
      .string()
      .transform((s) => s.split(',').filter((x) => x !== ''))
      .pipe(z.array(z.enum(faultKinds))),
    'verify-minutes': z.coerce.number().min(0),
    out: z.string(),
    name: z.string().regex(/^[\w.-]+$/),
    'keep-logs': z.boolean(),
  })
  .parse(raw);
const cullerIntervalSeconds = 10;
const adminPassword = 'soak-admin-password';
const startTimeoutSeconds = 600;
/** Shorter than the node-lost fault's minute, so a lost node's servers are reported stopped
 * (the default 60 s would outlast the fault: the node would come back first, a reboot). */
const nodeLostSeconds = 20;

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

execFileSync('bash', [join(root, 'scripts/ensure-system.sh'), 'test'], { stdio: 'inherit' });

const workDir = mkdtempSync(join(os.tmpdir(), 'ganymede-soak-'));
const untrack = trackForCleanup({
  stop: () => {
    rmSync(workDir, { recursive: true, force: true });
    return Promise.resolve();
  },
  stopNow: () => {
    rmSync(workDir, { recursive: true, force: true });
  },
});
// Bounded whatever happens: the soak, then at most 25 minutes of set-up, wind-down and checks.
const hardStop = setTimeout(
  () => {
    log('hard deadline passed: stopping');
    process.kill(process.pid, 'SIGTERM');
  },
  (settings.minutes + 25) * 60_000,
);
hardStop.unref();

const started = new Date();
const loadAtStart = os.loadavg();
let soakStart = Number.NaN;
const nowMs = (): number => (Number.isNaN(soakStart) ? 0 : Date.now() - soakStart);
const records: ActionRecord[] = [];
const written: WrittenFile[] = [];
const corrupted: { path: string; expected: string; got: string }[] = [];
const faultEvents: FaultEvent[] = [];
const running: { tMs: number; running: number; waiting: number; processes: number }[] = [];
const errors: string[] = [];
const { warmUpMs, coolDownMs } = phases(settings.minutes * 60_000);
const graceMs = 60_000;
let replicas: Replicas | undefined;
let missingFaults: Record<string, string> = {};
let schedule: ReturnType<typeof faultSchedule> = [];
let end: SoakResult['end'] = null;
let soakEndedMs: number | null = null;

function version(): Record<string, string> {
  const git = (a: string[]): string =>
    execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
  const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
  return {
    ganymede: `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' (+ uncommitted changes in src/)' : ''}`,
    node: process.version,
  };
}
const versions = version();

function write(final: boolean): void {
  const endMs = soakEndedMs ?? nowMs();
  const result: SoakResult = {
    benchmark: 'soak: people, two hub replicas and faults on the test cluster',
    date: started.toISOString(),
    finished: final ? new Date().toISOString() : null,
    machine: machineInfo(loadAtStart),
    versions,
    settings: {
      ...settings,
      cullerIntervalSeconds,
      startTimeoutSeconds,
      nodeLostSeconds,
      warmUpMs,
      coolDownMs,
      graceMs,
    },
    faults: { missing: missingFaults, schedule, events: faultEvents },
    actions: summarizeActions(records, faultWindows(faultEvents, graceMs, endMs)),
    hubs: replicas?.series ?? [],
    running,
    files: {
      written: written.length,
      bytes: written.reduce((a, f) => a + f.bytes, 0),
      readDuringSoak: {
        ok: records.filter((r) => r.kind === 'read-file' && r.ok).length,
        corrupted,
      },
    },
    soakEndedMs,
    end,
    failures: records.filter((x) => !x.ok).slice(0, 3000),
    errors,
  };
  mkdirSync(settings.out, { recursive: true });
  writeFileSync(
    join(settings.out, `${settings.name}.json`),
    `${JSON.stringify(result, null, 1)}\n`,
  );
  writeFileSync(join(settings.out, `${settings.name}.md`), renderMarkdown(result));
}

let cluster: TestCluster | undefined;
let pg: TestPostgres | undefined;
try {
  log(`work folder ${workDir}; starting the test cluster and PostgreSQL`);
  [cluster, pg] = await Promise.all([
    startCluster({ maxPods: settings['max-running'] + 40 }),
    startPostgres(),
  ]);
  const c = cluster;
  const dbUrl = await pg.createDatabase();
  await installCrd(c);
  const namespace = await restrictedNamespace(c, 'soak');
  const idleMinutesNonZero = 1; // replaced by idleTimeoutSecondsOverride; must not be 0 (never culled)
  replicas = await Replicas.create({
    names: ['replica-a', 'replica-b'],
    dir: workDir,
    nowMs,
    env: { GANYMEDE_ADMIN_PASSWORD: adminPassword },
    config: (name, port) => ({
      hub: { host: '127.0.0.1', port, dataDir: join(workDir, name) },
      auth: { type: 'dummy' },
      store: { url: dbUrl },
      backend: {
        type: 'kubernetes',
        kubernetes: {
          namespace,
          kubeconfig: c.kubeconfigPath,
          runOperator: true,
          startTimeoutSeconds,
          nodeLostSeconds,
          leaderElection: {
            leaseName: 'ganymede-hub',
            identity: name,
            leaseDurationSeconds: 15,
            renewDeadlineSeconds: 10,
            retryPeriodSeconds: 2,
          },
        },
      },
      culler: {
        intervalSeconds: cullerIntervalSeconds,
        idleTimeoutSecondsOverride: settings['idle-seconds'],
      },
      profiles: [
        {
          name: 'standard',
          displayName: 'Standard',
          image: 'quay.io/jupyter/minimal-notebook:latest',
          idleTimeoutMinutes: idleMinutesNonZero,
          default: true,
        },
      ],
    }),
  });
  const reps = replicas;
  const hubNames = new Map(reps.urls.map((u, i) => [u, i === 0 ? 'replica-a' : 'replica-b']));
  const { faults, missing } = availableFaults({
    cluster: c,
    postgres: pg,
    killHub: (downMs) => reps.killAndRestart(downMs),
  });
  missingFaults = Object.fromEntries(missing);
  // A kind this build cannot inject keeps its turn, empty: the others stay where they would
  // be, and the hubs live as long between kills as in a run with every fault.
  const kinds: FaultKind[] = settings['no-faults'] ? [] : settings.faults;
  schedule = faultSchedule({
    durationMs: settings.minutes * 60_000,
    kinds,
    everyMs: settings['fault-every'] * 60_000,
    warmUpMs,
    coolDownMs,
  });
  log(
    `faults: ${kinds.join(', ') || 'none'}; missing: ${[...missing.keys()].join(', ') || 'none'}`,
  );

  // The admin, for the final sweep (the admin account keeps its own password under dummy sign-in).
  const admin = new PersonClient('admin', () => reps.first);
  await admin.signIn(adminPassword);

  const random = seeded(settings.seed);
  const pickRandom = random.fork();
  const slots = new Slots(settings['max-running']);
  let stopping = false;
  const world = {
    random,
    pickHub: () => reps.pick(pickRandom),
    slots,
    nowMs,
    stopping: () => stopping,
    record: (kind: ActionKind, atMs: number, durationMs: number, hub: string, error?: unknown) => {
      records.push({
        kind,
        atMs,
        durationMs,
        hub: hubNames.get(hub) ?? hub,
        ok: error === undefined,
        ...(error === undefined
          ? {}
          : { error: error instanceof Error ? error.message : JSON.stringify(error) }),
      });
    },
    written: (f: WrittenFile) => written.push(f),
    corrupted: (f: WrittenFile, got: string) =>
      corrupted.push({ path: f.path, expected: f.sha256, got }),
    idleSeconds: settings['idle-seconds'],
    cullerIntervalSeconds,
    startTimeoutMs: startTimeoutSeconds * 1000,
  };
  const people = Array.from(
    { length: settings.users },
    (_, i) => new Person(`soak-u${String(i + 1).padStart(3, '0')}`, world),
  );

  soakStart = Date.now();
  log(
    `soak: ${String(settings.users)} people, ${String(settings.minutes)} min, at most ${String(settings['max-running'])} running`,
  );
  const sampler = setInterval(() => {
    reps.sample();
    running.push({
      tMs: nowMs(),
      running: slots.used,
      waiting: slots.waiting,
      processes: strayProcesses().length,
    });
  }, 10_000);
  const progress = setInterval(() => {
    write(false);
    const failed = records.filter((r) => !r.ok).length;
    log(
      `${String(Math.round(nowMs() / 60_000))} min: ${String(records.length)} actions, ${String(failed)} failed, ${String(slots.used)} running, ${String(slots.waiting)} waiting, ${String(written.length)} files`,
    );
  }, 60_000);
  const faultsAbort = new AbortController();
  const faultRun = runFaults({
    schedule,
    faults,
    nowMs,
    signal: faultsAbort.signal,
    log,
    events: faultEvents,
  });
  const peopleRun = Promise.all(people.map((p) => p.run()));

  await sleep(settings.minutes * 60_000);
  stopping = true;
  soakEndedMs = nowMs();
  slots.close();
  faultsAbort.abort();
  log('soak time over: people finish their step and stop their servers; faults recover');
  await faultRun;
  await Promise.race([peopleRun, sleep(8 * 60_000)]);
  clearInterval(progress);

  const sweep = async (): Promise<number> => {
    // Any server still up (a person cut short): asked to stop through the API, as an admin.
    const r = await admin.request('/hub/api/users?state=active&limit=500', {
      headers: { accept: 'application/jupyterhub-pagination+json' },
    });
    const items = (JSON.parse(r.text) as { items?: { name: string }[] }).items ?? [];
    for (const u of items) {
      const person = people.find((p) => p.name === u.name);
      await person?.client.requestStop().catch(() => undefined);
    }
    const deadline = Date.now() + 4 * 60_000;
    while (Date.now() < deadline) {
      const pods = await c.kubectl(['get', 'pods', '-n', namespace, '-o', 'name']);
      if (pods.code === 0 && pods.stdout.trim() === '') break;
      await sleep(3000);
    }
    return items.length;
  };
  const stillActive = await sweep();
  log(`${String(stillActive)} servers still active after the soak, stop asked`);

  // Every file, through the API after all restarts, as far as the time allows; then on disk.
  const verifyUntil = Date.now() + settings['verify-minutes'] * 60_000;
  const api = { intact: 0, differ: [] as string[], unread: [] as string[], people: 0, files: 0 };
  const queue = people.filter((p) => p.files.length > 0);
  const verifySlots = Math.min(settings['max-running'], 10);
  await Promise.all(
    Array.from({ length: verifySlots }, async () => {
      for (let p = queue.shift(); p !== undefined && Date.now() < verifyUntil; p = queue.shift()) {
        const v = await p.verifyAll(Math.max(30_000, verifyUntil - Date.now()));
        api.people++;
        api.files += p.files.length;
        api.intact += v.intact;
        api.differ.push(...v.differ);
        api.unread.push(...v.unread);
      }
    }),
  );
  await sweep();
  const left: Leftovers = await leftovers(c, namespace);
  const disk = filesOnDisk(join(c.dir, 'volumes'), written);
  end = {
    stillActiveAfterSoak: stillActive,
    apiReadBack: api,
    disk,
    leftovers: left,
    peopleWithFiles: people.filter((p) => p.files.length > 0).length,
  };
  clearInterval(sampler);
  write(false);
} catch (e) {
  errors.push((e as Error).stack ?? String(e));
  log(`ERROR ${(e as Error).message}`);
} finally {
  await replicas?.stopAll().catch(() => undefined);
  if (settings['keep-logs']) {
    const logs = join(settings.out, `${settings.name}-logs`);
    mkdirSync(logs, { recursive: true });
    for (const f of readdirSync(workDir).filter((x) => x.endsWith('.log'))) {
      copyFileSync(join(workDir, f), join(logs, f));
    }
  }
  write(true);
  await cluster?.stop().catch(() => undefined);
  await pg?.stop().catch(() => undefined);
  untrack();
  rmSync(workDir, { recursive: true, force: true });
  log(`results: ${join(settings.out, `${settings.name}.md`)}`);
}
process.exit(errors.length === 0 ? 0 : 1);
