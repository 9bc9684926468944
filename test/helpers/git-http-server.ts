/**
 * A git repository served over smart HTTP from loopback, as a course's repository is served
 * by a forge: Git's own `git http-backend` (Debian's `git`) run as a CGI program behind a
 * small node:http server. Nothing here is a double: clients speak the real protocol (v2
 * included, through the `Git-Protocol` header) to the real server side.
 *
 * CGI is written by hand because it is a dozen lines for one program (RFC 3875 §4.1 meta
 * variables in, a header block and a body out); no maintained npm package does only that.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>/<name>.git` */
  readonly url: string;
  /** Commits these files (path → content) on top of the branch and pushes them. */
  commit(files: Record<string, string>, message: string): void;
  close(): Promise<void>;
}

const identity = ['-c', 'user.name=Course Author', '-c', 'user.email=author@example.org'];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...identity, ...args], { cwd, encoding: 'utf8', stdio: 'pipe' });
}

export async function startGitHttpServer(options: {
  name: string;
  branch: string;
  files: Record<string, string>;
}): Promise<GitHttpServer> {
  const root = mkdtempSync(join(tmpdir(), 'ganymede-git-'));
  const projects = join(root, 'srv');
  const work = join(root, 'work');
  mkdirSync(projects);
  mkdirSync(work);
  git(
    projects,
    'init',
    '--quiet',
    '--bare',
    `--initial-branch=${options.branch}`,
    `${options.name}.git`,
  );
  git(work, 'init', '--quiet', `--initial-branch=${options.branch}`);
  git(work, 'remote', 'add', 'origin', join(projects, `${options.name}.git`));

  const commit = (files: Record<string, string>, message: string) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    git(work, 'add', '--all');
    git(work, 'commit', '--quiet', '-m', message);
    git(work, 'push', '--quiet', 'origin', options.branch);
  };
  commit(options.files, 'First version');

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://git.invalid');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      GIT_PROJECT_ROOT: projects,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      SERVER_PROTOCOL: 'HTTP/1.1',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding']
        ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }
        : {}),
      ...(typeof req.headers['git-protocol'] === 'string'
        ? { GIT_PROTOCOL: req.headers['git-protocol'] }
        : {}),
    };
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      started = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!started) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/${options.name}.git`,
    commit,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A one-cell notebook (nbformat 4) whose cell prints `text`. */
export function notebook(text: string): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [
      {
        cell_type: 'code',
        id: 'c1',
        metadata: {},
        execution_count: null,
        outputs: [],
        source: [`print(${JSON.stringify(text)})`],
      },
    ],
  });
}
