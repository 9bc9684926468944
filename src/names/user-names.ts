/**
 * How user names are normalised, decided once, at sign-in and at account creation:
 *
 * 1. Unicode NFC (so "é" typed as e + combining accent and as one code point are one user);
 * 2. lower-cased with the locale-independent `toLowerCase` ("Alice" and "alice" are one user);
 * 3. surrounding white space trimmed.
 *
 * A normalised name is 1–64 code points of Unicode letters, marks and digits plus `.`, `_`,
 * `-` and `@`, starting with a letter or digit. Everything else (slashes, `%`, spaces,
 * control characters) is refused, because names appear in URL paths (`/user/<name>/`) and
 * must never decode into another route. Two raw names that normalise to the same name are
 * the same user; creating the second is refused as a duplicate.
 */
import { GanymedeError } from '../errors/ganymede-error.ts';

export const MAX_USER_NAME_LENGTH = 64;
const allowed = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}._@-]*$/u;

export function normalizeUserName(raw: string): string {
  return raw.normalize('NFC').toLowerCase().trim();
}

/** Normalises and validates; throws a `bad_request` naming the field `name`. */
export function parseUserName(raw: unknown, field = 'name'): string {
  if (typeof raw !== 'string') {
    throw new GanymedeError('bad_request', 'A user name is required.', { field });
  }
  // Check the length before normalising: a megabyte of input must not cost a megabyte of work.
  if (raw.length > MAX_USER_NAME_LENGTH * 4) {
    throw new GanymedeError(
      'bad_request',
      `User names are at most ${MAX_USER_NAME_LENGTH} characters.`,
      { field },
    );
  }
  const name = normalizeUserName(raw);
  // Code points, not UTF-16 units: 64 CJK or emoji characters are 64, not 128.
  const length = Array.from(name).length;
  if (length === 0) throw new GanymedeError('bad_request', 'A user name is required.', { field });
  if (length > MAX_USER_NAME_LENGTH) {
    throw new GanymedeError(
      'bad_request',
      `User names are at most ${MAX_USER_NAME_LENGTH} characters.`,
      { field },
    );
  }
  if (!allowed.test(name)) {
    throw new GanymedeError(
      'bad_request',
      'User names may contain letters, digits and . _ - @, and must start with a letter or digit.',
      { field },
    );
  }
  return name;
}

/** The name as one URL path segment (`/user/<segment>/`). */
export function userPathSegment(name: string): string {
  return encodeURIComponent(name);
}
