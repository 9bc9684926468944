/**
 * Authorisation decisions for the REST API. The rule (issue 6): a request outside the
 * caller's rights on a user gets exactly the 404 a missing user gets, so a token cannot probe
 * which names exist or what it could do to them. Collection endpoints, which name no one,
 * answer 403 as JupyterHub does.
 */
import { GanymedeError } from '../errors/ganymede-error.ts';
import { parseUserName } from '../names/user-names.ts';
import type { User } from '../store/types.ts';
import type { ApiDeps, Caller } from './context.ts';
import { allows, hasGroupFilter, hasUnfiltered } from './scopes.ts';

export function noSuchUser(): GanymedeError {
  return new GanymedeError('not_found', 'No such user.');
}

/** Whether the caller holds any of `scopes` on the user (or on that server of theirs). */
export function mayAct(
  caller: Caller,
  scopes: readonly string[],
  user: string,
  server?: string,
): boolean {
  return scopes.some((s) => allows(caller.scopes, s, user, server));
}

/** A user name from a path that the caller may act on with one of `scopes`, or undefined. */
function permittedName(
  caller: Caller,
  rawName: string,
  scopes: readonly string[],
  server?: string,
): string | undefined {
  let name: string;
  try {
    name = parseUserName(rawName);
  } catch {
    return undefined; // a name that cannot exist is simply not found
  }
  return mayAct(caller, scopes, name, server) ? name : undefined;
}

/** The existing user the caller may act on with one of `scopes`; the same 404 otherwise. */
export async function findUserFor(
  deps: ApiDeps,
  caller: Caller,
  rawName: string,
  scopes: readonly string[],
  server?: string,
): Promise<User> {
  const name = permittedName(caller, rawName, scopes, server);
  if (name !== undefined) {
    const user = await deps.store.getUser(name);
    if (user) return user;
  } else if (scopes.some((s) => hasGroupFilter(caller.scopes, s))) {
    // Held through a `!group=` filter: the user's groups decide, read only in this case.
    const user = await existingUser(deps, rawName);
    const groups = user ? await deps.store.listUserGroups(user.id) : [];
    if (user && scopes.some((s) => allows(caller.scopes, s, user.name, server, groups))) {
      return user;
    }
  }
  throw noSuchUser();
}

async function existingUser(deps: ApiDeps, rawName: string): Promise<User | undefined> {
  try {
    return await deps.store.getUser(parseUserName(rawName));
  } catch {
    return undefined;
  }
}

/**
 * The normalised name of a user the caller may create with `scope`; the same 404 as above when
 * they may not, and a 400 naming `name` when they may but the name is not valid.
 */
export function nameToCreate(caller: Caller, rawName: string, scope: string): string {
  if (!hasUnfiltered(caller.scopes, scope)) {
    const name = permittedName(caller, rawName, [scope]);
    if (name === undefined) throw noSuchUser();
  }
  return parseUserName(rawName);
}

/** For endpoints that name no user: the caller must hold `scope` on everything. */
export function requireUnfiltered(caller: Caller, scope: string, action: string): void {
  if (!hasUnfiltered(caller.scopes, scope)) {
    throw new GanymedeError('forbidden', `You do not have permission to ${action}.`, {
      detail: `requires scope ${scope}`,
    });
  }
}
