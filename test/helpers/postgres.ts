/**
 * A throwaway PostgreSQL server for integration tests: `initdb` into a temporary directory,
 * listen on a free loopback port (and a unix socket inside that directory), trust auth, no
 * fsync. `stop()` shuts it down and deletes everything; so does process exit if a test crashes
 * before its teardown. Start one per test file and give each test its own database.
 *
 * The server binaries come from $GANYMEDE_POSTGRES_BIN or scripts/ensure-postgres.sh (which
 * installs Debian's `postgresql` on a fresh machine). There is no skip: a missing PostgreSQL
 * fails the test with the reason.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/ganymede`, an empty database on the server. */
  readonly url: string;
  /** Creates another empty database and returns its URL, so tests stay independent. */
  createDatabase(): Promise<string>;
  /** Stops the server and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * A database outage (issue 16): the server process shut down at once (`pg_ctl -m fast`:
   * clients are disconnected, new connections refused), its data and port kept.
   */
  stopServer(): Promise<void>;
  /** The same server back on the same port with the same data; resolves once it accepts. */
  startServer(): Promise<void>;
}

/** The directory holding initdb, pg_ctl and postgres. */
export function postgresBinDir(): string {
  const fromEnv = process.env['GANYMEDE_POSTGRES_BIN'];
  if (fromEnv) return fromEnv;
  const script = fileURLToPath(new URL('../../scripts/ensure-postgres.sh', import.meta.url));
  return execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface PostgresOptions {
  /**
   * Also listen on this address of the host (default: loopback only), and trust clients from
   * `clientCidr`: pods of a real test node reach the server on the host's end of its link.
   */
  readonly listenAddress?: string;
  readonly clientCidr?: string;
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'ganymede-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sock');
  const log = join(dir, 'postgres.log');
  mkdirSync(sockets);
  // PostgreSQL refuses to run as root; as root we run its tools as the `postgres` user.
  const owner = serverUser();
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(sockets, owner.uid, owner.gid);
  }
  const run = (tool: string, args: string[]) =>
    execFileAsync(join(bin, tool), args, {
      cwd: dir,
      env: { ...process.env, LC_ALL: 'C.UTF-8', PGTZ: 'UTC' },
      ...(owner ?? {}),
    });

  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], {
        cwd: dir,
        stdio: 'ignore',
        ...(owner ?? {}),
      });
    } catch {
      // Not running (start failed or already gone): nothing to stop, only files to delete.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed or killed test file never reaches its teardown; do not leave a server behind.
  // On a signal, clean up and then die of that same signal, as if we had not listened.
  const onSignal = (signal: NodeJS.Signals) => {
    forget();
    stopSync();
    process.kill(process.pid, signal);
  };
  const forget = () => {
    process.removeListener('exit', stopSync);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.once('exit', stopSync);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await run('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    // The host itself connects from the listen address; pods from their range.
    for (const cidr of [opts.listenAddress && `${opts.listenAddress}/32`, opts.clientCidr]) {
      if (cidr) appendFileSync(join(data, 'pg_hba.conf'), `host all all ${cidr} trust\n`);
    }
    const port = await freePort();
    // Durability settings off: the data is thrown away after the test.
    const options = [
      `-p ${port}`,
      `-k '${sockets}'`,
      `-c listen_addresses='${['127.0.0.1', ...(opts.listenAddress ? [opts.listenAddress] : [])].join(',')}'`,
      '-F',
      '-c full_page_writes=off',
      '-c synchronous_commit=off',
    ].join(' ');
    await run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
    const base = `postgres://postgres@${opts.listenAddress ?? '127.0.0.1'}:${port}`;
    let databases = 0;
    const createDatabase = async (): Promise<string> => {
      const name = `ganymede_${databases++}`;
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    };
    const url = await createDatabase();
    return {
      url,
      createDatabase,
      stopServer: async () => {
        await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      },
      startServer: async () => {
        await run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', options, 'start']);
      },
      stop: () => {
        forget();
        stopSync();
        return Promise.resolve();
      },
    };
  } catch (e) {
    const serverLog = readLog(log);
    forget();
    stopSync();
    throw new Error(`could not start a test PostgreSQL from ${bin}: ${String(e)}\n${serverLog}`, {
      cause: e,
    });
  }
}

function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '(no server log)';
  }
}
