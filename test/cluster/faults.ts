/**
 * Faults of the control plane for fault tests and the soak (issue 16): the API server stopped
 * and started again on the same port with the same certificates and flags, etcd restarted with
 * its data, and a watch that stalls — a connection that stays open but carries nothing, what a
 * load balancer or a half-dead network in front of the API server does to a long request.
 *
 *   const staller = await cluster.faults.watchStaller();
 *   // point a client at staller.kubeconfigPath; then:
 *   staller.pause();   // every connection open now stops moving bytes, both ways, and stays open
 *   staller.resume();  // they move again (what was held back is delivered)
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ControlPlane } from './control-plane/control-plane.ts';
import { renderKubeconfig } from './control-plane/kubeconfig.ts';

export interface ClusterFaults {
  /** Stops kube-apiserver (SIGTERM, SIGKILL after 5 s); every client connection ends. */
  stopApiServer(): Promise<void>;
  /** Starts it again on the same port with the same certificates and flags; resolves when
   * it answers `/readyz`. */
  startApiServer(): Promise<void>;
  /** Stops etcd and starts it again on its data; resolves when etcd is healthy and the API
   * server answers `/readyz` again. The API server keeps running throughout. */
  restartEtcd(): Promise<void>;
  /** A pass-through proxy in front of the API server whose streams can be stalled. */
  watchStaller(): Promise<WatchStaller>;
}

export interface WatchStaller {
  /** An admin kubeconfig whose server is the proxy (same certificate: TLS passes through). */
  readonly kubeconfigPath: string;
  /**
   * Stops forwarding bytes, both ways, on every connection open now; they stay open, and a
   * close from the API server's side is held back too. Connections opened afterwards are
   * forwarded: a client that gives up on a silent stream and reconnects gets through, as it
   * would past one stuck load-balancer connection.
   */
  pause(): void;
  /** Forwards again on the stalled connections, delivering what was held back. */
  resume(): void;
  /** Closes the proxy and every connection through it. */
  close(): Promise<void>;
}

let stallers = 0;

export function createClusterFaults(controlPlane: ControlPlane, dir: string): ClusterFaults {
  return {
    stopApiServer: () => controlPlane.stopComponent('kube-apiserver'),
    startApiServer: () => controlPlane.startComponent('kube-apiserver'),
    async restartEtcd() {
      await controlPlane.stopComponent('etcd');
      await controlPlane.startComponent('etcd');
      await controlPlane.apiServerReady();
    },
    async watchStaller() {
      const target = new URL(controlPlane.server);
      const proxy = await startStallingProxy({
        // The API server's own address: its serving certificate names it.
        host: target.hostname,
        port: Number(target.port),
      });
      const kubeconfigPath = join(dir, `staller-${String(++stallers)}.kubeconfig`);
      await writeFile(
        kubeconfigPath,
        renderKubeconfig({
          server: `https://${target.hostname}:${String(proxy.port)}`,
          caPem: controlPlane.caPem,
          token: controlPlane.adminToken,
          user: 'admin',
        }),
        { mode: 0o600 },
      );
      return {
        kubeconfigPath,
        pause: () => {
          proxy.pause();
        },
        resume: () => {
          proxy.resume();
        },
        close: () => proxy.close(),
      };
    },
  };
}

/** One client connection and its connection to the API server. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  stalled: boolean;
  /** The API server's side went away while stalled: passed on at resume. */
  upstreamClosed: boolean;
}

export interface StallingProxy {
  readonly port: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on `host` (port chosen by the system) to `host:port`. Bytes are piped; a stall
 * unpipes and pauses both sockets, so nothing is read or written and the kernel's buffers fill
 * as on a stuck network path, while both connections stay open.
 */
export async function startStallingProxy(target: {
  readonly host: string;
  readonly port: number;
}): Promise<StallingProxy> {
  const links = new Set<Link>();
  const flow = (link: Link): void => {
    link.client.pipe(link.upstream);
    link.upstream.pipe(link.client);
  };
  const end = (link: Link): void => {
    links.delete(link);
    link.client.destroy();
    link.upstream.destroy();
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    const link: Link = { client, upstream, stalled: false, upstreamClosed: false };
    links.add(link);
    client.on('error', () => {
      end(link);
    });
    client.on('close', () => {
      end(link);
    });
    // A stalled path carries no close either: the client learns of it after resume.
    const upstreamGone = (): void => {
      if (link.stalled) link.upstreamClosed = true;
      else end(link);
    };
    upstream.on('error', upstreamGone);
    upstream.on('close', upstreamGone);
    flow(link);
  });
  server.listen(0, target.host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    pause() {
      for (const link of links) {
        if (link.stalled) continue;
        link.stalled = true;
        link.client.unpipe(link.upstream);
        link.upstream.unpipe(link.client);
        link.client.pause();
        link.upstream.pause();
      }
    },
    resume() {
      for (const link of [...links]) {
        if (!link.stalled) continue;
        link.stalled = false;
        if (link.upstreamClosed) end(link);
        else flow(link);
      }
    },
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
