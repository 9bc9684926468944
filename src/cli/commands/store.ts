import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import type { CliCommand } from '../command.ts';

const usage = `Usage: ganymede store migrate --from sqlite:PATH [--to postgres://…]

Copies a SQLite store (users, passwords, sessions, API tokens, groups, servers, run history,
environment access) into an EMPTY PostgreSQL database, so the hub can run several replicas.
Both are brought to this version's schema first; the copy is one transaction (all or
nothing) and each table's row count is checked before it commits. The SQLite file is only
read. Stop the hub first, so nothing changes during the copy; then set store.url (or
GANYMEDE_STORE_URL) to the PostgreSQL URL and start it. Notebooks keep running meanwhile.

Options:
      --from STORE   the SQLite store: sqlite:<path>, or the file's path
      --to URL       postgres://user:password@host:5432/database
                     (default: $GANYMEDE_STORE_URL, which keeps the password off the command line)`;

export async function runStore(
  args: readonly string[],
  io: { readonly write: (text: string) => void },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' } },
  });
  if (positionals.length !== 1 || positionals[0] !== 'migrate') {
    throw new GanymedeError('bad_request', 'Say `ganymede store migrate --from … --to …`.', {
      field: 'action',
    });
  }
  const from = values.from?.replace(/^sqlite:/, '');
  if (from === undefined || !existsSync(from)) {
    throw new GanymedeError('bad_request', `--from: no SQLite store at "${from ?? ''}".`, {
      field: 'from',
    });
  }
  const to = values.to ?? process.env['GANYMEDE_STORE_URL'];
  if (to === undefined || !/^postgres(ql)?:\/\//.test(to)) {
    throw new GanymedeError(
      'bad_request',
      '--to must be a postgres:// URL (or set GANYMEDE_STORE_URL).',
      { field: 'to' },
    );
  }
  // Loaded only here: the copy needs both database clients.
  const { copySqliteToPostgres } = await import('../../store/copy-store.ts');
  const report = await copySqliteToPostgres({ sqlitePath: from, postgresUrl: to });
  const width = Math.max(...report.tables.map((t) => t.name.length));
  io.write(
    `Copied into PostgreSQL (${new URL(to).host}${new URL(to).pathname}):\n` +
      report.tables.map((t) => `  ${t.name.padEnd(width)}  ${String(t.rows)} rows\n`).join(''),
  );
  return 0;
}

export const storeCommand: CliCommand = {
  name: 'store',
  usage,
  run: (args) => runStore(args, { write: (t) => process.stdout.write(t) }),
};
