/**
 * One hub replica as its own OS process (`node src/cli/main.ts serve --config FILE`), so that
 * killing it is a real SIGKILL: no `finally`, no hand-back of the Lease, open sockets cut.
 * Its JSON log lines (pino, on stdout) are kept for the test to read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const mainScript = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));

export interface LogLine {
  readonly msg?: string;
  readonly level?: number;
  readonly [key: string]: unknown;
}

export class HubProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly logs: LogLine[];

  private constructor(name: string, url: string, child: ChildProcess, logs: LogLine[]) {
    this.name = name;
    this.url = url;
    this.child = child;
    this.logs = logs;
  }

  /** Starts a replica and resolves once it listens (it prints its address on stderr). */
  static async start(input: {
    readonly name: string;
    readonly dir: string;
    readonly config: Record<string, unknown>;
    readonly env: Record<string, string>;
    readonly timeoutMs?: number;
  }): Promise<HubProcess> {
    const configFile = join(input.dir, `${input.name}.yaml`);
    // JSON is YAML: one less serialiser.
    writeFileSync(configFile, JSON.stringify(input.config, null, 2));
    const child = spawn(process.execPath, [mainScript, 'serve', '--config', configFile], {
      env: { ...process.env, ...input.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: LogLine[] = [];
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          logs.push({ msg: line });
        }
      }
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${input.name} did not start:\n${stderr}`));
      }, input.timeoutMs ?? 120_000);
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const m = /open http:\/\/localhost:(\d+)\//.exec(stderr);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}`);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${input.name} exited (${String(code ?? signal)}):\n${stderr}`));
      });
    });
    return new HubProcess(input.name, url, child, logs);
  }

  /** Log lines whose message is `msg`. */
  lines(msg: string): LogLine[] {
    return this.logs.filter((l) => l.msg === msg);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}
