import { join } from 'node:path';
import { GanymedeError } from '../errors/ganymede-error.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './types.ts';

/**
 * Opens the store a config names: `sqlite:<path>` (default `<dataDir>/ganymede.sqlite`) or
 * `postgres://…` / `postgresql://…` (several hub replicas; migrates at start-up).
 */
export function openStore(url: string | undefined, dataDir: string): Promise<Store> {
  if (url === undefined) return Promise.resolve(openSqliteStore(join(dataDir, 'ganymede.sqlite')));
  if (url.startsWith('sqlite:'))
    return Promise.resolve(openSqliteStore(url.slice('sqlite:'.length)));
  // Loaded only when configured: a SQLite hub need not carry the PostgreSQL client.
  if (url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return import('./postgres-store.ts').then((m) => m.openPostgresStore(url));
  return Promise.reject(
    new GanymedeError('bad_request', `store.url: unsupported store "${url.split(':')[0] ?? ''}"`, {
      field: 'store.url',
      detail: 'Use sqlite:<path> or postgres://user:password@host:port/database.',
    }),
  );
}
