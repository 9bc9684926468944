/**
 * Untimed set-up, the same on both hubs through JupyterHub's REST API: create the users and
 * one API token for each (`POST /hub/api/users/{name}`, `POST /hub/api/users/{name}/tokens`).
 */
import type { SpawnTarget } from './measure.ts';

async function api(
  target: SpawnTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(`${target.baseUrl}/hub/api${path}`, {
    method,
    headers: { authorization: `token ${target.adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export function userNames(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
}

/** Creates each user and returns name → token; a few at a time so set-up stays quick. */
export async function createUsersWithTokens(
  target: SpawnTarget,
  names: readonly string[],
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const queue = [...names];
  const worker = async (): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const created = await api(target, 'POST', `/users/${encodeURIComponent(name)}`);
      if (created.status !== 201 && created.status !== 409) {
        throw new Error(`create user ${name}: ${String(created.status)} ${created.text}`);
      }
      const token = await api(target, 'POST', `/users/${encodeURIComponent(name)}/tokens`, {
        note: 'spawn benchmark',
      });
      const value = (token.json as { token?: unknown } | undefined)?.token;
      if (token.status !== 201 || typeof value !== 'string') {
        throw new Error(`token for ${name}: ${String(token.status)} ${token.text}`);
      }
      tokens.set(name, value);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return tokens;
}
