/**
 * Who an identity provider's claims make a person on this hub: pure, so every rule is unit
 * tested without a provider.
 *
 * - The user name is the `usernameClaim` (default `preferred_username`, OIDC Core 1.0 §5.1),
 *   normalised by the one rule every sign-in uses (src/names/user-names.ts); a name that rule
 *   refuses is refused here too, with the reason.
 * - Groups are the `groupsClaim`: a JSON array of strings (a lone string counts as one group;
 *   other entries are ignored). Claim names are taken literally, since providers use names
 *   such as `https://example.org/groups`.
 * - With `allowedGroups`, only their members (and members of `adminGroups`) may sign in.
 * - Members of `adminGroups` are administrators.
 */
import { GanymedeError, isGanymedeError } from '../../errors/ganymede-error.ts';
import { parseUserName } from '../../names/user-names.ts';

export interface ClaimRules {
  readonly displayName: string;
  readonly usernameClaim: string;
  readonly groupsClaim?: string | undefined;
  readonly allowedGroups: readonly string[];
  readonly adminGroups: readonly string[];
}

export interface SignInDecision {
  readonly name: string;
  readonly groups: readonly string[];
  readonly admin: boolean;
}

/** Bounds on what one claim may make us store. */
const MAX_GROUPS = 1000;
const MAX_GROUP_LENGTH = 256;

export function groupsFromClaim(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const groups = list.filter(
    (g): g is string => typeof g === 'string' && g.length > 0 && g.length <= MAX_GROUP_LENGTH,
  );
  return [...new Set(groups)].slice(0, MAX_GROUPS);
}

/** Throws a `forbidden` GanymedeError whose message the person can act on. */
export function decideSignIn(
  claims: Readonly<Record<string, unknown>>,
  rules: ClaimRules,
): SignInDecision {
  const raw = claims[rules.usernameClaim];
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new GanymedeError(
      'forbidden',
      `${rules.displayName} did not tell us a user name for your account, so you cannot sign in here. Please contact your administrator.`,
      { detail: `claim "${rules.usernameClaim}" missing or not a string` },
    );
  }
  let name: string;
  try {
    name = parseUserName(raw, rules.usernameClaim);
  } catch (e) {
    if (!isGanymedeError(e)) throw e;
    throw new GanymedeError(
      'forbidden',
      `Your user name "${raw}" cannot be used here. ${e.userMessage} Please contact your administrator.`,
      { detail: `claim "${rules.usernameClaim}" refused by the user name rule` },
    );
  }
  const groups = rules.groupsClaim ? groupsFromClaim(claims[rules.groupsClaim]) : [];
  const admin = groups.some((g) => rules.adminGroups.includes(g));
  const allowed =
    rules.allowedGroups.length === 0 ||
    admin ||
    groups.some((g) => rules.allowedGroups.includes(g));
  if (!allowed) {
    throw new GanymedeError(
      'forbidden',
      'Your account is not in a group that may use this service. If you think it should be, ask your administrator to add you.',
      { detail: `user "${name}" in groups [${groups.join(', ')}], none allowed` },
    );
  }
  return { name, groups, admin };
}
