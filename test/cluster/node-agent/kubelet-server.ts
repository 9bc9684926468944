/**
 * The slice of the kubelet's HTTPS API that the API server proxies to: container logs, so
 * `kubectl logs` and `readNamespacedPodLog` work (with tailLines, limitBytes, previous and
 * follow). Listens on the node's InternalIP (the bridge address) on a free port, announced in
 * the Node's status.daemonEndpoints. The certificate is self-signed (openssl); the API server
 * verifies kubelet certificates only when given --kubelet-certificate-authority, which a
 * kubeadm cluster does not set either.
 * https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/
 */
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LogLocator {
  /** The folder of a container's logs (one file per run), or undefined for an unknown pod. */
  logDir(namespace: string, pod: string, container: string): string | undefined;
}

export interface KubeletServer {
  readonly port: number;
  close(): Promise<void>;
}

async function selfSignedCertificate(address: string): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'ganymede-kubelet-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${address}`,
        '-addext',
        `subjectAltName=IP:${address}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: await readFile(join(dir, 'key.pem')),
      cert: await readFile(join(dir, 'cert.pem')),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run files named <n>.log, newest last. */
async function runs(dir: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [])).filter((n) => /^\d+\.log$/.test(n));
  return names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).map((n) => join(dir, n));
}

/** Byte offset where the last `lines` lines of `file` begin. */
async function tailOffset(file: string, lines: number): Promise<number> {
  const text = await readFile(file);
  let offset = text.length;
  let seen = 0;
  if (offset > 0 && text[offset - 1] === 0x0a) offset--; // The final newline ends the last line.
  while (offset > 0) {
    if (text[offset - 1] === 0x0a && ++seen === lines) break;
    offset--;
  }
  return offset;
}

export async function startKubeletServer(
  address: string,
  locator: LogLocator,
): Promise<KubeletServer> {
  const { key, cert } = await selfSignedCertificate(address);
  const server: Server = createServer({ key, cert }, (req, res) => {
    void handle(req.url ?? '/', res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
      else res.destroy();
    });
  });
  const handle = async (rawUrl: string, res: ServerResponse): Promise<void> => {
    const url = new URL(rawUrl, 'https://kubelet');
    if (url.pathname === '/healthz') {
      res.writeHead(200).end('ok');
      return;
    }
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end('not found');
      return;
    }
    const [namespace, pod, container] = [m[1], m[2], m[3]].map((p) => decodeURIComponent(p ?? ''));
    const dir = locator.logDir(namespace ?? '', pod ?? '', container ?? '');
    const files = dir ? await runs(dir) : [];
    const previous = url.searchParams.get('previous') === 'true';
    const file = previous ? files.at(-2) : files.at(-1);
    if (!file) {
      const what = previous ? 'previous terminated container' : 'container';
      res.writeHead(400).end(`${what} "${container ?? ''}" in pod "${pod ?? ''}" has no logs`);
      return;
    }
    const tailLines = url.searchParams.get('tailLines');
    const limitBytes = Number(url.searchParams.get('limitBytes') ?? Infinity);
    let start = tailLines !== null ? await tailOffset(file, Number(tailLines)) : 0;
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const send = async (from: number, to: number): Promise<void> => {
      if (to <= from || sent >= limitBytes) return;
      const end = Math.min(to, from + (limitBytes - sent));
      for await (const chunk of createReadStream(file, { start: from, end: end - 1 })) {
        res.write(chunk as Buffer);
        sent += (chunk as Buffer).length;
      }
    };
    let size = (await stat(file)).size;
    await send(start, size);
    start = size;
    if (url.searchParams.get('follow') !== 'true' || previous) {
      res.end();
      return;
    }
    // Follow: stream what the process appends until the client goes away or a newer run
    // (a restart) or the pod's removal ends this one.
    const state = { closed: false };
    res.on('close', () => {
      state.closed = true;
    });
    while (!state.closed && sent < limitBytes) {
      await new Promise((r) => setTimeout(r, 250));
      const handle = await open(file, 'r').catch(() => undefined);
      if (!handle) break;
      size = (await handle.stat()).size;
      await handle.close();
      await send(start, size);
      start = size;
      const latest = dir ? (await runs(dir)).at(-1) : undefined;
      if (latest !== file) break;
    }
    res.end();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('kubelet server has no port');
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
