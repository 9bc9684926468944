/**
 * One simulated person, in a loop until the soak ends: sign in (again, now and then), wait
 * for a turn (slots.ts), start the server, read back some files written in earlier sessions,
 * open a kernel and run cells whose answers are checked, write a new file, then either stop
 * the server or walk away and let the culler stop it. Every step is timed and recorded; a
 * failed step is recorded too, and the person makes sure the server is stopped, waits a bit
 * and starts over, as a person would.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PersonClient, SoakError, sha256 } from './client.ts';
import type { Random } from './random.ts';
import type { Slots } from './slots.ts';
import type { ActionKind } from './stats.ts';

export interface WrittenFile {
  readonly user: string;
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly atMs: number;
}

export interface PersonWorld {
  readonly random: Random;
  readonly pickHub: () => string;
  readonly slots: Slots;
  /** Milliseconds since the soak started. */
  readonly nowMs: () => number;
  readonly stopping: () => boolean;
  readonly record: (
    kind: ActionKind,
    atMs: number,
    durationMs: number,
    hub: string,
    error?: unknown,
  ) => void;
  readonly written: (file: WrittenFile) => void;
  /** A file read back during the soak whose content differed. */
  readonly corrupted: (file: WrittenFile, got: string) => void;
  readonly idleSeconds: number;
  readonly cullerIntervalSeconds: number;
  readonly startTimeoutMs: number;
}

export class Person {
  readonly client: PersonClient;
  readonly files: WrittenFile[] = [];
  readonly #w: PersonWorld;
  readonly #r: Random;
  #sessions = 0;

  constructor(name: string, world: PersonWorld) {
    this.#w = world;
    this.#r = world.random.fork();
    this.client = new PersonClient(name, world.pickHub);
  }

  get name(): string {
    return this.client.name;
  }

  async #act<T>(kind: ActionKind, fn: () => Promise<T>): Promise<T> {
    const at = this.#w.nowMs();
    try {
      const value = await fn();
      this.#w.record(kind, at, this.#w.nowMs() - at, this.client.lastHub);
      return value;
    } catch (e) {
      this.#w.record(kind, at, this.#w.nowMs() - at, this.client.lastHub, e);
      throw e;
    }
  }

  async run(): Promise<void> {
    // Not everyone arrives at once.
    await sleep(this.#r.int(0, 60_000));
    while (!this.#w.stopping()) {
      let holding = false;
      try {
        if (!this.client.signedIn || this.#r.chance(0.15)) {
          await this.#act('sign-in', () => this.client.signIn());
        }
        holding = await this.#w.slots.acquire();
        if (!holding) break;
        await this.#session();
      } catch {
        await sleep(this.#r.int(3_000, 10_000));
      } finally {
        if (holding) {
          await this.#ensureStopped();
          this.#w.slots.release();
        }
      }
      await sleep(this.#r.int(2_000, 20_000));
    }
  }

  async #session(): Promise<void> {
    this.#sessions++;
    await this.#act('start', () => this.client.start(this.#w.startTimeoutMs));
    // Files from earlier sessions (other pods, maybe after faults) must still be there.
    for (const f of this.#pickEarlierFiles(3)) await this.#readBack(f);
    const kernel = await this.#act('open-kernel', () => this.client.openKernel());
    let channels = kernel.session;
    try {
      // A working session of a minute or a few: cells with thinking in between.
      for (let i = this.#r.int(3, 8); i > 0 && !this.#w.stopping(); i--) {
        const text = randomBytes(this.#r.int(8, 64)).toString('hex');
        const code = `import hashlib; hashlib.sha256(${JSON.stringify(text)}.encode()).hexdigest()`;
        await this.#act('cell', async () => {
          let out: string;
          try {
            out = await channels.execute(code);
          } catch (e) {
            // The WebSocket went through a replica that died: JupyterLab connects the kernel
            // again (through the load balancer) and the cell is run again. Only that is
            // forgiven; a second failure is the cell's.
            if (channels.isOpen) throw e;
            channels = await this.#act('kernel-reconnect', () =>
              this.client.connectKernel(kernel.id),
            );
            out = await channels.execute(code);
          }
          if (out !== `'${sha256(text)}'`) throw new SoakError(`cell answered ${out}`);
        });
        await sleep(this.#r.int(3_000, 30_000));
      }
    } finally {
      channels.close();
    }
    const content = randomBytes(this.#r.int(1_024, 48 * 1_024)).toString('base64');
    const path = `soak-${this.name}-${String(this.#sessions)}.txt`;
    await this.#act('write-file', () => this.client.writeFile(path, content));
    const file = {
      user: this.name,
      path,
      sha256: sha256(content),
      bytes: content.length,
      atMs: this.#w.nowMs(),
    };
    this.files.push(file);
    this.#w.written(file);
    if (this.#w.stopping() || this.#r.chance(0.6)) {
      await this.#act('stop', async () => {
        await this.client.requestStop();
        await this.client.waitStopped(5 * 60_000);
      });
    } else {
      // Walks away: the culler stops it after the idle time-out (plus up to one round).
      const limit = (this.#w.idleSeconds + this.#w.cullerIntervalSeconds + 180) * 1000;
      await this.#act('culled', () => this.client.waitStopped(limit));
    }
  }

  #pickEarlierFiles(n: number): WrittenFile[] {
    const pool = [...this.files];
    const out: WrittenFile[] = [];
    while (out.length < n && pool.length > 0) {
      out.push(...pool.splice(this.#r.int(0, pool.length - 1), 1));
    }
    return out;
  }

  async #readBack(f: WrittenFile): Promise<void> {
    await this.#act('read-file', async () => {
      const got = await this.client.readFileSha(f.path);
      if (got !== f.sha256) {
        this.#w.corrupted(f, got);
        throw new SoakError(`${f.path}: content differs`);
      }
    });
  }

  /** After a session, whatever happened in it: the server stopped before the turn is given back. */
  async #ensureStopped(): Promise<void> {
    const until = Date.now() + 10 * 60_000;
    while (Date.now() < until) {
      try {
        if ((await this.client.server()) === undefined) return;
        await this.#act('stop', async () => {
          await this.client.requestStop();
          await this.client.waitStopped(5 * 60_000);
        });
        return;
      } catch {
        await sleep(5_000);
      }
    }
  }

  /**
   * The end of the soak: start the server once more and read back every file this person
   * wrote, then stop it. Returns the files that were intact, differed, or could not be read.
   */
  async verifyAll(
    timeoutMs: number,
  ): Promise<{ intact: number; differ: string[]; unread: string[] }> {
    const result = { intact: 0, differ: [] as string[], unread: [] as string[] };
    if (this.files.length === 0) return result;
    try {
      if (!this.client.signedIn) await this.client.signIn();
      await this.client.start(timeoutMs);
    } catch {
      result.unread.push(...this.files.map((f) => f.path));
      return result;
    }
    for (const f of this.files) {
      try {
        if ((await this.client.readFileSha(f.path)) === f.sha256) result.intact++;
        else result.differ.push(f.path);
      } catch {
        result.unread.push(f.path);
      }
    }
    await this.#ensureStopped();
    return result;
  }
}
