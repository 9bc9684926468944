/**
 * Which PostgreSQL failures mean "the database is not there right now" (503, try again) rather
 * than a bug (500). SQLSTATE classes from
 * https://www.postgresql.org/docs/15/errcodes-appendix.html.
 */
import pg from 'pg';
import { GanymedeError } from '../errors/ganymede-error.ts';

/** SQLSTATE unique_violation. */
export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(e: unknown, table: string): boolean {
  return e instanceof pg.DatabaseError && e.code === UNIQUE_VIOLATION && e.table === table;
}

/**
 * 08: connection exception; 53: insufficient resources (too many connections, disk full);
 * 57P01–57P03: the server is shutting down, crashed, or not yet accepting connections
 * (a failover in progress).
 */
function isUnavailable(e: unknown): boolean {
  if (e instanceof pg.DatabaseError) {
    const code = e.code ?? '';
    return code.startsWith('08') || code.startsWith('53') || /^57P0[123]$/.test(code);
  }
  if (!(e instanceof Error)) return false;
  // The socket's own errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND…) and the ones
  // node-postgres raises itself when a connection dies or cannot be had in time.
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return true;
  return /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout)/.test(
    e.message,
  );
}

/** Turns an outage into `unavailable`; every other error is returned as it is. */
export function storeError(e: unknown): unknown {
  if (!isUnavailable(e)) return e;
  return new GanymedeError('unavailable', 'The database is not available. Try again shortly.', {
    detail: `PostgreSQL: ${e instanceof Error ? e.message : String(e)}`,
    cause: e,
  });
}
