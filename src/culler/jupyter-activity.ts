/**
 * What a Jupyter server says about its own use, read straight from the server (not through
 * the proxy, so reading it is not itself activity):
 * - `GET <baseUrl>api/status` → `{started, last_activity, kernels, connections}`. Jupyter
 *   Server marks this handler `_track_activity = False`, so asking does not reset the clock.
 *   `last_activity` is the latest of API requests, kernel messages (iopub, except
 *   kernel_info and other untracked types) and terminal use; it never sees WebSocket
 *   keep-alive pings, which is why a tab left open does not move it.
 * - `GET <baseUrl>api/kernels?no_track_activity=1` → per kernel `execution_state` and
 *   `connections`. Without `no_track_activity` this request would count as use.
 * https://github.com/jupyter-server/jupyter_server/blob/main/jupyter_server/services/api/handlers.py
 */
import { z } from 'zod';
import type { Route } from '../backends/types.ts';

export interface KernelActivity {
  /** `busy`, `idle`, `starting`, `restarting`, `dead` … as Jupyter reports it. */
  readonly executionState: string;
  readonly connections: number;
  readonly lastActivity: Date | null;
}

export interface JupyterActivity {
  readonly lastActivity: Date;
  /** Open kernel WebSocket connections, summed over kernels. */
  readonly connections: number;
  readonly kernels: readonly KernelActivity[];
}

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const statusSchema = z.object({
  last_activity: isoDate,
  connections: z.int().min(0),
  kernels: z.int().min(0),
});

const kernelsSchema = z.array(
  z.object({
    execution_state: z.string(),
    connections: z.int().min(0).default(0),
    last_activity: isoDate.optional(),
  }),
);

export function parseStatus(body: unknown): z.infer<typeof statusSchema> {
  return statusSchema.parse(body);
}

export function parseKernels(body: unknown): KernelActivity[] {
  return kernelsSchema.parse(body).map((k) => ({
    executionState: k.execution_state,
    connections: k.connections,
    lastActivity: k.last_activity ?? null,
  }));
}

export type ReadJupyterActivity = (route: Route, baseUrl: string) => Promise<JupyterActivity>;

/**
 * Reads a server's activity over HTTP. The kernels list is read only when the status says
 * there are kernels: it is the only way to see a busy one. Throws when the server does not
 * answer in time or answers something that is not Jupyter's status.
 */
export function createJupyterActivityReader(
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): ReadJupyterActivity {
  const timeoutMs = options.timeoutMs ?? 5000;
  const doFetch = options.fetch ?? fetch;

  async function getJson(route: Route, path: string): Promise<unknown> {
    const res = await doFetch(`${route.target}${path}`, {
      // The server's own token: never logged, never leaves the hub.
      headers: { authorization: `token ${route.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`GET ${path} answered ${res.status}`);
    }
    return res.json();
  }

  return async (route, baseUrl) => {
    const status = parseStatus(await getJson(route, `${baseUrl}api/status`));
    const kernels =
      status.kernels > 0
        ? parseKernels(await getJson(route, `${baseUrl}api/kernels?no_track_activity=1`))
        : [];
    return { lastActivity: status.last_activity, connections: status.connections, kernels };
  };
}
