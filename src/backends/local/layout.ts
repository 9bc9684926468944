/**
 * Where the local backend keeps things under the data directory. Pure: paths only, no I/O.
 *
 *   <dataDir>/users/<kubeName(user)>/home          the default server's files (root_dir,
 *                                                  $HOME); kept
 *   <dataDir>/users/<kubeName(user)>/named/<kubeName(server)>/
 *                                                  a named server's own files; kept
 *   <dataDir>/users/<kubeName(user)>/jupyter/…     JUPYTER_CONFIG_DIR / _DATA_DIR / _RUNTIME_DIR
 *                                                  (shared by the user's servers)
 *   <dataDir>/servers/<kubeName(user)>/<server>/   one server: state.json (while it runs) and
 *                                                  jupyter.log (kept after it stops)
 *
 * User and server names are arbitrary Unicode, so every path segment goes through
 * `kubeName`: its output is a DNS label (no `/`, no `.`), and different names never map to
 * one folder (see src/names/kube-names.ts). The default server '' becomes `_default`, which
 * `kubeName` can never produce (it emits no `_`), so it cannot collide with a named server.
 */
import { join } from 'node:path';
import { kubeName } from '../../names/kube-names.ts';
import type { ServerRef } from '../types.ts';

export const DEFAULT_SERVER_FOLDER = '_default';
export const STATE_FILE = 'state.json';
export const LOG_FILE = 'jupyter.log';
/** The log of the start before the current one, so a restart never hides why the last one died. */
export const PREVIOUS_LOG_FILE = 'jupyter.previous.log';

export interface UserLayout {
  readonly userDir: string;
  readonly home: string;
  readonly configDir: string;
  readonly dataDir: string;
  readonly runtimeDir: string;
}

export interface ServerLayout {
  readonly serverDir: string;
  readonly stateFile: string;
  readonly logFile: string;
  readonly previousLogFile: string;
}

export function serversRoot(dataDir: string): string {
  return join(dataDir, 'servers');
}

/**
 * A user's folders as one of their servers sees them: `home` is that server's files (a named
 * server has its own, as each has its own volume on Kubernetes); the rest is the user's.
 */
export function userLayout(dataDir: string, user: string, server = ''): UserLayout {
  const userDir = join(dataDir, 'users', kubeName(user));
  return {
    userDir,
    home: server === '' ? join(userDir, 'home') : join(userDir, 'named', kubeName(server)),
    configDir: join(userDir, 'jupyter', 'config'),
    dataDir: join(userDir, 'jupyter', 'data'),
    runtimeDir: join(userDir, 'jupyter', 'runtime'),
  };
}

export function serverFolderName(server: string): string {
  return server === '' ? DEFAULT_SERVER_FOLDER : kubeName(server);
}

export function serverLayout(dataDir: string, ref: ServerRef): ServerLayout {
  const serverDir = join(serversRoot(dataDir), kubeName(ref.user), serverFolderName(ref.server));
  return {
    serverDir,
    stateFile: join(serverDir, STATE_FILE),
    logFile: join(serverDir, LOG_FILE),
    previousLogFile: join(serverDir, PREVIOUS_LOG_FILE),
  };
}

/** The key under which a server is tracked in memory: unambiguous for any pair of names. */
export function refKey(ref: ServerRef): string {
  return JSON.stringify([ref.user, ref.server]);
}
