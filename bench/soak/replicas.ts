/**
 * Two hub replicas as real OS processes (`ganymede serve`), each on a fixed port behind the
 * soak's "load balancer" (a random pick among the replicas that are up): Kubernetes backend,
 * one PostgreSQL store, the in-hub operator and culler leader-elected. A replica can be
 * SIGKILLed and started again on the same port (a new process: the RSS and open-file series
 * start again). Each replica's log goes to a file in the run's folder.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { freePort, startProcess, waitUntil, type HubProcess } from '../spawn/processes.ts';
import { rssMiB } from '../scale/proc.ts';
import type { Random } from './random.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface ProcessSeries {
  readonly replica: string;
  readonly pid: number;
  /** Milliseconds after the soak started. */
  readonly startedMs: number;
  endedMs: number | null;
  readonly samples: { tMs: number; rssMiB: number; fds: number }[];
}

interface Slot {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  proc: HubProcess | undefined;
  series: ProcessSeries | undefined;
  /** Answering: killed → false; started again → true once `/health` answers. */
  up: boolean;
}

export class Replicas {
  readonly #slots: Slot[];
  readonly #dir: string;
  readonly #config: (name: string, port: number) => Record<string, unknown>;
  readonly #nowMs: () => number;
  readonly #env: Record<string, string>;
  readonly series: ProcessSeries[] = [];
  #kills = 0;

  private constructor(
    slots: Slot[],
    dir: string,
    config: (name: string, port: number) => Record<string, unknown>,
    env: Record<string, string>,
    nowMs: () => number,
  ) {
    this.#env = env;
    this.#slots = slots;
    this.#dir = dir;
    this.#config = config;
    this.#nowMs = nowMs;
  }

  static async create(input: {
    names: readonly string[];
    dir: string;
    config: (name: string, port: number) => Record<string, unknown>;
    env: Record<string, string>;
    nowMs: () => number;
  }): Promise<Replicas> {
    const slots: Slot[] = [];
    for (const name of input.names) {
      const port = await freePort();
      slots.push({
        name,
        port,
        url: `http://127.0.0.1:${String(port)}`,
        proc: undefined,
        series: undefined,
        up: false,
      });
    }
    const r = new Replicas(slots, input.dir, input.config, input.env, input.nowMs);
    // One after the other: the first creates the schema and takes the Lease.
    for (const s of slots) await r.#start(s);
    return r;
  }

  get urls(): string[] {
    return this.#slots.map((s) => s.url);
  }

  get first(): string {
    return this.#slots[0]!.url;
  }

  /** The load balancer: a replica that is up, at random (both down: the first, and fail). */
  pick(random: Random): string {
    // As a Service's endpoints: a replica is left out once killed, back once it answers.
    const up = this.#slots.filter((s) => s.up);
    return up.length > 0 ? random.pick(up).url : this.first;
  }

  async #start(s: Slot): Promise<void> {
    const configFile = join(this.#dir, `${s.name}.json`);
    writeFileSync(configFile, JSON.stringify(this.#config(s.name, s.port), null, 2));
    const proc = startProcess(process.execPath, [cliMain, 'serve', '--config', configFile], {
      logFile: join(this.#dir, `${s.name}.log`),
      cwd: this.#dir,
      env: { ...process.env, ...this.#env },
    });
    s.proc = proc;
    const series: ProcessSeries = {
      replica: s.name,
      pid: proc.child.pid ?? -1,
      startedMs: this.#nowMs(),
      endedMs: null,
      samples: [],
    };
    s.series = series;
    this.series.push(series);
    await waitUntil(
      `${s.name} to answer /health`,
      async () => {
        const res = await fetch(`${s.url}/health`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return res.status === 200;
      },
      { timeoutMs: 180_000, process: proc },
    );
    s.up = true;
  }

  /** SIGKILL one replica (in turn), and start it again after `downMs` on the same port. */
  async killAndRestart(downMs: number): Promise<string> {
    const s = this.#slots[this.#kills++ % this.#slots.length]!;
    const proc = s.proc;
    s.up = false;
    if (proc?.child.pid !== undefined && proc.child.exitCode === null) {
      const exited = new Promise((r) => proc.child.once('exit', r));
      process.kill(proc.child.pid, 'SIGKILL');
      await exited;
    }
    if (s.series) s.series.endedMs = this.#nowMs();
    await new Promise((r) => setTimeout(r, downMs));
    await this.#start(s);
    return s.name;
  }

  /** One sample of every live replica's RSS and open file descriptors. */
  sample(): void {
    for (const s of this.#slots) {
      const pid = s.proc?.child.pid;
      if (pid === undefined || s.series?.endedMs !== null) continue;
      let fds = Number.NaN;
      try {
        fds = readdirSync(`/proc/${String(pid)}/fd`).length;
      } catch {
        // Gone.
      }
      s.series.samples.push({ tMs: this.#nowMs(), rssMiB: rssMiB(pid), fds });
    }
  }

  async stopAll(): Promise<void> {
    for (const s of this.#slots) {
      if (s.series?.endedMs === null) s.series.endedMs = this.#nowMs();
      await s.proc?.stop(10_000);
    }
  }
}
