/**
 * Time to a working notebook, measured the same way for any hub that speaks JupyterHub's REST
 * API (https://jupyterhub.readthedocs.io/en/stable/reference/rest-api.html):
 *
 *   t0  POST /hub/api/users/{name}/server           (admin token; 429 → wait Retry-After, retry)
 *       GET  /hub/api/users/{name}/server/progress  (SSE, as the spawn-pending page follows it)
 *   t1  first 200 of GET /user/{name}/api/status    (the user's own token, through the hub's proxy)
 *
 * The status is polled only once the progress stream says `ready` (or ends, or breaks), so the
 * measurement does not load the hub with requests while it spawns; the poll interval (100 ms)
 * bounds the error it adds.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnTarget {
  /** The hub's public base URL (its proxy), e.g. http://127.0.0.1:8000 */
  readonly baseUrl: string;
  readonly adminToken: string;
}

export interface UserSpawnResult {
  readonly user: string;
  readonly ok: boolean;
  /** t1 - t0 in ms, when ok. */
  readonly ms?: number;
  /** How many times the start request was answered 429 (spawn limit) before it was accepted. */
  readonly tooManyRequests: number;
  /** Status of the accepted start request (201 ready, 202 pending). */
  readonly startStatus?: number;
  /** Why it failed, when not ok. */
  readonly error?: string;
  /** The last progress message seen (what the user would read). */
  readonly lastProgress?: string;
  /** Progress events received. */
  readonly progressEvents?: number;
  /** When the hub said ready (201, or the `ready` event), ms after t0. */
  readonly hubReadyMs?: number;
}

export interface MeasureOptions {
  /** Give up on a user after this long (counts as a failure). */
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly now?: () => number;
}

interface ProgressEvent {
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
}

/** Reads an SSE body until a `ready` or `failed` event, the end, or the deadline. */
async function followProgress(
  url: string,
  token: string,
  deadline: number,
  onEvent: (e: ProgressEvent) => void,
): Promise<'ready' | 'failed' | 'ended'> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => {
      controller.abort();
    },
    Math.max(0, deadline - Date.now()),
  );
  try {
    const res = await fetch(url, {
      headers: { authorization: `token ${token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      return 'ended';
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (!data) continue;
        let event: ProgressEvent;
        try {
          event = JSON.parse(data) as ProgressEvent;
        } catch {
          continue;
        }
        onEvent(event);
        // Leaving the loop cancels the body. No abort() before it: an aborted body makes that
        // cancel throw, and the outcome would be lost to the catch below.
        if (event.ready) return 'ready';
        if (event.failed) return 'failed';
      }
    }
    return 'ended';
  } catch {
    return 'ended';
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function statusOk(baseUrl: string, user: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/user/${encodeURIComponent(user)}/api/status`, {
      headers: { authorization: `token ${token}` },
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    if (res.status !== 200) return false;
    // A Jupyter server's /api/status answers JSON with `started`; a hub page would not.
    return body.includes('"started"');
  } catch {
    return false;
  }
}

/** Starts one user's default server and measures the time to its first working status. */
export async function measureUserSpawn(
  target: SpawnTarget,
  user: string,
  userToken: string,
  options: MeasureOptions,
): Promise<UserSpawnResult> {
  const now = options.now ?? (() => performance.now());
  const pollMs = options.pollMs ?? 100;
  const t0 = now();
  const deadline = Date.now() + options.timeoutMs;
  const name = encodeURIComponent(user);
  const api = `${target.baseUrl}/hub/api/users/${name}`;
  let tooManyRequests = 0;
  let lastProgress: string | undefined;
  let progressEvents = 0;
  let hubReadyMs: number | undefined;
  const details = () => ({
    progressEvents,
    ...(lastProgress === undefined ? {} : { lastProgress }),
    ...(hubReadyMs === undefined ? {} : { hubReadyMs }),
  });
  const fail = (error: string, startStatus?: number): UserSpawnResult => ({
    user,
    ok: false,
    tooManyRequests,
    error,
    ...(startStatus === undefined ? {} : { startStatus }),
    ...details(),
  });
  const success = (startStatus: number): UserSpawnResult => ({
    user,
    ok: true,
    ms: now() - t0,
    tooManyRequests,
    startStatus,
    ...details(),
  });

  let startStatus: number;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(`${api}/server`, {
        method: 'POST',
        headers: {
          authorization: `token ${target.adminToken}`,
          'content-type': 'application/json',
        },
        body: '{}',
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
    } catch (e) {
      return fail(`start request: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 429) {
      tooManyRequests++;
      // JupyterHub answers its concurrent spawn limit with 429 and Retry-After (seconds),
      // already randomised; a client (the spawn page, a script) waits that long.
      const retryAfter = Number(res.headers.get('retry-after') ?? '1');
      const waitMs = (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000;
      if (Date.now() + waitMs > deadline) return fail('429 until the deadline', 429);
      await sleep(waitMs);
      continue;
    }
    if (res.status !== 201 && res.status !== 202) {
      return fail(
        `start request answered ${String(res.status)}: ${text.slice(0, 300)}`,
        res.status,
      );
    }
    startStatus = res.status;
    if (startStatus === 201) hubReadyMs = now() - t0;
    break;
  }

  if (startStatus === 202) {
    // Follow progress until ready; a stream that ends or breaks is reopened after a check.
    for (;;) {
      const outcome = await followProgress(
        `${api}/server/progress`,
        target.adminToken,
        deadline,
        (e) => {
          progressEvents++;
          if (e.message) lastProgress = e.message;
        },
      );
      if (outcome === 'ready') {
        hubReadyMs = now() - t0;
        break;
      }
      if (outcome === 'failed') return fail(`spawn failed: ${lastProgress ?? ''}`, startStatus);
      if (await statusOk(target.baseUrl, user, userToken)) return success(startStatus);
      if (Date.now() >= deadline) return fail('timed out following progress', startStatus);
      await sleep(1000);
    }
  }
  for (;;) {
    if (await statusOk(target.baseUrl, user, userToken)) return success(startStatus);
    if (Date.now() >= deadline)
      return fail('ready, but /api/status never answered 200', startStatus);
    await sleep(pollMs);
  }
}
