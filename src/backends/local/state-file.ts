/**
 * `state.json`: what a later hub process needs to find, check and reach a running server. It
 * holds the server's token, so it is written with mode 0600 in a 0700 folder, atomically
 * (temporary file + rename, POSIX rename(2) replaces the target in one step), so a hub killed
 * mid-write leaves the old file or the new one, never half of one.
 *
 * The file is read back by another process, possibly another version of the hub: it is
 * validated like any other input, and a bad one names its field.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import { STATE_FILE, serversRoot } from './layout.ts';

export const serverStateSchema = z.strictObject({
  version: z.literal(1),
  /** Raw names: folder names are hashed and cannot be turned back into names. */
  user: z.string(),
  server: z.string(),
  pid: z.int().min(2),
  /** Boot id + kernel start time of `pid` (Linux), so a reused pid is never taken for ours. */
  pidIdentity: z.string().optional(),
  port: z.int().min(1).max(65535),
  token: z.string().min(16),
  baseUrl: z.string().startsWith('/').endsWith('/'),
  profile: z.string(),
  startedAt: z.iso.datetime(),
});
export type ServerState = z.infer<typeof serverStateSchema>;

export function parseServerState(text: string, source: string): ServerState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GanymedeError('internal', 'A notebook server record is damaged.', {
      detail: `${source}: not JSON`,
      cause,
    });
  }
  const parsed = serverStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new GanymedeError('internal', 'A notebook server record is damaged.', {
      detail: `${source}: ${field || '(root)'}: ${issue?.message ?? 'invalid'}`,
      field,
    });
  }
  return parsed.data;
}

export async function writeServerState(file: string, state: ServerState): Promise<void> {
  const dir = join(file, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, file);
}

/** The state, `undefined` when there is none; throws a GanymedeError when it is damaged. */
export async function readServerState(file: string): Promise<ServerState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  return parseServerState(text, file);
}

export async function removeServerState(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Every `servers/<user>/<server>/state.json` under the data directory (paths only). */
export async function findStateFiles(dataDir: string): Promise<string[]> {
  const root = serversRoot(dataDir);
  const found: string[] = [];
  for (const userFolder of await readdirOrEmpty(root)) {
    for (const serverFolder of await readdirOrEmpty(join(root, userFolder))) {
      const file = join(root, userFolder, serverFolder, STATE_FILE);
      if ((await readdirOrEmpty(join(root, userFolder, serverFolder))).includes(STATE_FILE)) {
        found.push(file);
      }
    }
  }
  return found;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
