/**
 * Pooled keep-alive connections to notebook servers: one undici `Pool` per server origin.
 *
 * Why undici and not node:http's keep-alive `Agent`: measured on the proxy benchmark
 * (bench/proxy, 50 connections, small GETs, same machine and load, runs interleaved) undici's
 * `Pool.dispatch` forwarded 6.8k / 9.2k / 10.2k req/s where `http.request` with a keep-alive
 * Agent did 6.0k / 5.1k / 4.8k; the Agent path spends its time in ClientRequest set-up and
 * agent bookkeeping (`node --cpu-prof`).
 *
 * `connections` bounds the sockets per notebook server so one busy user cannot exhaust the
 * hub's file descriptors: 64 covers JupyterLab's start-up burst (a dozen or so parallel
 * requests) with room to spare; beyond it requests queue in the pool.
 * WebSocket handshakes use node:http without a pool (see forward-upgrade.ts), hence
 * `request` alongside.
 */
import http from 'node:http';
import https from 'node:https';
import { Pool } from 'undici';

export interface UpstreamTarget {
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  readonly pool: Pool;
  readonly request: typeof http.request;
}

export interface UpstreamPool {
  /** The target for a route's `target` URL, or undefined when it is not an http(s) origin. */
  resolve(target: string): UpstreamTarget | undefined;
  /** Closes every connection, idle or busy. */
  destroy(): Promise<void>;
}

/** Above this many pools, the idle ones (servers stopped meanwhile) are closed. */
const SWEEP_ABOVE = 1024;

export function createUpstreamPool(connectionsPerServer: number): UpstreamPool {
  const targets = new Map<string, UpstreamTarget | undefined>();
  return {
    resolve(target) {
      const known = targets.get(target);
      if (known !== undefined || targets.has(target)) return known;
      if (targets.size >= SWEEP_ABOVE) sweep(targets);
      const parsed = parse(target, connectionsPerServer);
      targets.set(target, parsed);
      return parsed;
    },
    async destroy() {
      const pools = [...targets.values()].flatMap((t) => (t === undefined ? [] : [t.pool]));
      targets.clear();
      await Promise.all(pools.map((pool) => pool.destroy()));
    },
  };
}

function parse(target: string, connections: number): UpstreamTarget | undefined {
  if (!URL.canParse(target)) return undefined;
  const url = new URL(target);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return undefined;
  return {
    origin: url.origin,
    // URL keeps IPv6 literals bracketed; http.request wants them bare.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    pool: new Pool(url.origin, {
      connections,
      // Idle streams (a quiet event stream, a slow download) are the upstream's business;
      // a dead server is noticed by TCP. Headers must come within the default 300 s.
      bodyTimeout: 0,
    }),
    request: secure ? https.request : http.request,
  };
}

function sweep(targets: Map<string, UpstreamTarget | undefined>): void {
  for (const [key, target] of targets) {
    if (target === undefined) {
      targets.delete(key);
    } else if (target.pool.stats.running === 0 && target.pool.stats.pending === 0) {
      targets.delete(key);
      void target.pool.close();
    }
  }
}
