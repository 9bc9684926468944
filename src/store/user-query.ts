/**
 * What both stores share when they turn a `UserQuery` into SQL: the LIKE pattern for the
 * search box and the index range for a name prefix. The SQL itself stays in each store
 * (placeholders, casts and collations differ).
 */

/**
 * `%term%` for `LIKE … ESCAPE '\'`, with `%`, `_` and `\` in the term matched literally. The
 * term is lower-cased like stored names (src/names/user-names.ts), so a search for "É" finds
 * "élise"; the database folds the names' ASCII letters only, on both dialects (SQLite's LIKE;
 * PostgreSQL's lower() in the "C" collation), so both find the same users.
 */
export function containsPattern(term: string): string {
  return `%${term
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * The range [prefix, upper) that holds exactly the names starting with `prefix` in byte
 * (code point) order, SQLite's BINARY and PostgreSQL's "C" collation alike: `upper` is the
 * prefix with its last code point incremented, so `name >= ? AND name < ?` is an index range
 * scan (a LIKE 'p%' would not be on SQLite, whose LIKE is case-insensitive). `undefined` when
 * no upper bound exists (empty prefix, or one made only of U+10FFFF).
 */
export function prefixRange(prefix: string): { lower: string; upper: string | undefined } {
  const points = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (points.length > 0) {
    const last = points.pop() ?? 0;
    if (last === 0x10ffff) continue;
    // Skip the surrogate block: no string holds those code points on their own.
    const next = last === 0xd7ff ? 0xe000 : last + 1;
    return { lower: prefix, upper: String.fromCodePoint(...points, next) };
  }
  return { lower: prefix, upper: undefined };
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
