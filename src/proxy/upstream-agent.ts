/**
 * Pooled keep-alive connections to notebook servers. One agent per protocol; `maxSockets`
 * bounds the connections per notebook server (host:port), so one busy user cannot exhaust
 * the hub's file descriptors. 64 covers JupyterLab's bursts (it opens a dozen or so parallel
 * requests at start-up) with room to spare; beyond it requests queue in the agent.
 * LIFO scheduling reuses the most recently used socket, which is the least likely to have
 * hit the upstream's idle timeout. WebSocket handshakes do not use the pool (see
 * forward-upgrade.ts): an upgraded socket leaves it anyway.
 */
import http from 'node:http';
import https from 'node:https';

export interface UpstreamTarget {
  readonly hostname: string;
  readonly port: number;
  readonly agent: http.Agent;
  readonly request: typeof http.request;
}

export interface UpstreamPool {
  /** The parsed target, or undefined when `target` is not an http(s) origin. */
  resolve(target: string): UpstreamTarget | undefined;
  destroy(): void;
}

/** Parsed targets remembered; more distinct targets than this empties the cache. */
const CACHE_LIMIT = 4096;

export function createUpstreamPool(maxSocketsPerServer: number): UpstreamPool {
  const options: http.AgentOptions = {
    keepAlive: true,
    maxSockets: maxSocketsPerServer,
    maxFreeSockets: maxSocketsPerServer,
    scheduling: 'lifo',
  };
  const httpAgent = new http.Agent(options);
  const httpsAgent = new https.Agent(options);
  const cache = new Map<string, UpstreamTarget | undefined>();
  return {
    resolve(target) {
      const cached = cache.get(target);
      if (cached !== undefined || cache.has(target)) return cached;
      if (cache.size >= CACHE_LIMIT) cache.clear();
      const parsed = parse(target, httpAgent, httpsAgent);
      cache.set(target, parsed);
      return parsed;
    },
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
      cache.clear();
    },
  };
}

function parse(
  target: string,
  httpAgent: http.Agent,
  httpsAgent: https.Agent,
): UpstreamTarget | undefined {
  if (!URL.canParse(target)) return undefined;
  const url = new URL(target);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return undefined;
  return {
    // URL keeps IPv6 literals bracketed; http.request wants them bare.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    agent: secure ? httpsAgent : httpAgent,
    request: secure ? https.request : http.request,
  };
}
