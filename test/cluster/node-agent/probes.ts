/**
 * One attempt of a container probe, as the kubelet's prober runs it: httpGet succeeds on a
 * status in [200, 400), tcpSocket on a completed connection, exec on exit code 0; each bounded
 * by timeoutSeconds. Thresholds and periods are applied by the caller (probe-loop.ts).
 * https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { V1ContainerPort, V1Probe } from '@kubernetes/client-node';

export interface ProbeTarget {
  readonly podIP: string;
  readonly ports: readonly V1ContainerPort[];
  /** Runs an exec probe's command inside the container's context; resolves its exit code. */
  exec(command: readonly string[], timeoutMs: number): Promise<number>;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly message: string;
}

export function resolvePort(port: number | string, ports: readonly V1ContainerPort[]): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = ports.find((p) => p.name === port);
  if (!named) throw new Error(`no container port named "${port}"`);
  return named.containerPort;
}

export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) {
      const h = probe.httpGet;
      const port = resolvePort(h.port, target.ports);
      if ((h.scheme ?? 'HTTP').toUpperCase() !== 'HTTP') {
        return { ok: false, message: 'HTTPS probes are not supported by the test node agent' };
      }
      return await httpProbe(
        h.host ?? target.podIP,
        port,
        h.path ?? '/',
        h.httpHeaders ?? [],
        timeoutMs,
      );
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, target.ports);
      return await tcpProbe(probe.tcpSocket.host ?? target.podIP, port, timeoutMs);
    }
    if (probe.exec) {
      const code = await target.exec(probe.exec.command ?? [], timeoutMs);
      return { ok: code === 0, message: `command exited with ${code}` };
    }
    return { ok: false, message: 'probe type not supported by the test node agent' };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

function httpProbe(
  host: string,
  port: number,
  path: string,
  headers: readonly { name: string; value: string }[],
  timeoutMs: number,
): Promise<ProbeResult> {
  const url = `http://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        timeout: timeoutMs,
        headers: {
          'user-agent': 'kube-probe/1.36',
          ...Object.fromEntries(headers.map((h) => [h.name, h.value])),
        },
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 400,
          message: `HTTP probe failed with statuscode: ${status}`,
        });
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error(`Get "${url}": context deadline exceeded`));
    });
    req.on('error', (e) => {
      resolve({ ok: false, message: `Get "${url}": ${e.message}` });
    });
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: '' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (e) => {
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` });
    });
  });
}
