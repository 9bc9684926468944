/**
 * The image `ganymede.test/http-server`: a tiny HTTP server for the harness's own tests.
 * Listens on 0.0.0.0:$PORT (default 8080) inside the pod's network namespace.
 *   GET /            → JSON { hostname, pid, uid, gid, cwd, env: selected variables }
 *   GET /healthz     → 200 ok (or 503 while the file `unhealthy` exists in the working dir)
 *   GET /files/<name>  → the file from the working directory (the first volume mount)
 *   PUT /files/<name>  → writes the request body there
 */
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

const port = Number(process.env['PORT'] ?? process.argv[2] ?? 8080);

const server = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://pod');
    if (url.pathname === '/healthz') {
      const sick = existsSync('unhealthy');
      res.writeHead(sick ? 503 : 200).end(sick ? 'unhealthy' : 'ok');
      return;
    }
    if (url.pathname.startsWith('/files/')) {
      const name = basename(decodeURIComponent(url.pathname.slice('/files/'.length)));
      if (req.method === 'PUT') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        await writeFile(name, Buffer.concat(chunks));
        res.writeHead(204).end();
        return;
      }
      let body: Buffer;
      try {
        body = await readFile(name);
      } catch {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200).end(body);
      return;
    }
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => k.startsWith('TEST_') || k === 'HOME' || k === 'HOSTNAME',
      ),
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        hostname: process.env['HOSTNAME'],
        pid: process.pid,
        uid: process.getuid?.(),
        gid: process.getgid?.(),
        groups: process.getgroups?.(),
        cwd: process.cwd(),
        env,
      }),
    );
  })().catch((e: unknown) => {
    res.writeHead(500).end(String(e));
  });
});
server.listen(port, '0.0.0.0', () => {
  console.log(`http-server listening on 0.0.0.0:${port}`);
});
// Exit promptly on SIGTERM like a well-behaved container.
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
