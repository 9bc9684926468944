/**
 * Runs Debian's nginx (package nginx-light or nginx) in the foreground with a configuration
 * written to a temporary folder: the hub's server, one server per notebook host rendered
 * from deploy/nginx/notebook-host.conf.template, and the maps from deploy/nginx/hub-maps.conf.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const deployDir = fileURLToPath(new URL('../../../deploy/nginx/', import.meta.url));
export const NGINX = '/usr/sbin/nginx';

export interface NotebookHost {
  readonly host: string;
  readonly upstream: string;
}

export interface NginxOptions {
  readonly port: number;
  readonly hubHost: string;
  readonly hubUpstream: string;
  readonly notebooks: readonly NotebookHost[];
}

export function renderNotebookHost(listen: string, hubUpstream: string, nb: NotebookHost): string {
  const template = readFileSync(join(deployDir, 'notebook-host.conf.template'), 'utf8');
  const values: Record<string, string> = {
    LISTEN: listen,
    NOTEBOOK_HOST: nb.host,
    NOTEBOOK_UPSTREAM: nb.upstream,
    HUB_UPSTREAM: hubUpstream,
  };
  return template.replace(/\$\{([A-Z_]+)\}/g, (_m, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`no value for \${${key}}`);
    return value;
  });
}

export interface RunningNginx {
  readonly dir: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  if (!existsSync(NGINX)) {
    throw new Error(
      `${NGINX} is missing: run scripts/ensure-system.sh as root (it installs nginx-light, which has auth_request)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'ganymede-nginx-'));
  chmodSync(dir, 0o755);
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(dir, 'tmp', t), { recursive: true, mode: 0o777 });
    chmodSync(join(dir, 'tmp', t), 0o777);
  }
  const listen = `127.0.0.1:${options.port}`;
  const conf = [
    'worker_processes 1;',
    'daemon off;',
    'master_process on;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    'events { worker_connections 512; }',
    'http {',
    `  access_log ${dir}/access.log;`,
    ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (t) => `  ${t === 'body' ? 'client_body' : t}_temp_path ${dir}/tmp/${t};`,
    ),
    readFileSync(join(deployDir, 'hub-maps.conf'), 'utf8'),
    `  server { listen ${listen} default_server; return 404; }`,
    '  server {',
    `    listen ${listen};`,
    `    server_name ${options.hubHost};`,
    '    location / {',
    `      proxy_pass ${options.hubUpstream};`,
    '      proxy_http_version 1.1;',
    '      proxy_set_header Host $http_host;',
    '      proxy_buffering off;',
    '    }',
    '  }',
    ...options.notebooks.map((nb) => renderNotebookHost(listen, options.hubUpstream, nb)),
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const log = (): string =>
    `${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
  // Ready once it answers on its port (the default server's 404), or failed if it exited.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited:\n${log()}`);
    try {
      const res = await fetch(`http://${listen}/`);
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer within 30 s:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    dir,
    log,
    async stop() {
      if (child.exitCode === null) {
        // SIGQUIT: graceful shutdown of master and workers (nginx docs, "Controlling nginx").
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
