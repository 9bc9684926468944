/**
 * Who may use a page or a form, in one place for the portal and the admin console. Every
 * state-changing form carries the per-session `_xsrf` value, checked with the cross-site rule
 * before any handler runs (src/web/cross-site-guard.ts); admin pages answer 403 to everyone
 * else, before reading anything.
 */
import type { Context } from 'hono';
import type { AuthService, Identity } from '../../auth/auth-service.ts';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import type { Store, User } from '../../store/types.ts';

export interface WebEnv {
  Variables: {
    identity: Identity | undefined;
    /** The hub's `_xsrf` value for this page view (src/web/cross-site-guard.ts). */
    xsrf: string | undefined;
  };
}

export type WebContext = Context<WebEnv>;

export type FormValues = Record<string, string | File | (string | File)[]>;

export function createGuards(auth: AuthService, store: Store) {
  function signedIn(c: WebContext): Identity {
    const identity = c.get('identity');
    if (!identity) throw new GanymedeError('unauthorized', 'Please sign in.');
    return identity;
  }

  function admin(c: WebContext): Identity {
    const identity = signedIn(c);
    if (!identity.admin) {
      throw new GanymedeError('forbidden', 'Only administrators can see this page.');
    }
    return identity;
  }

  /** A signed-in form post; its `_xsrf` was checked before any handler (cross-site-guard.ts). */
  async function form(c: WebContext): Promise<{ identity: Identity; form: FormValues }> {
    const identity = signedIn(c);
    const values = await c.req.parseBody({ all: true });
    return { identity, form: values };
  }

  async function adminForm(c: WebContext) {
    const result = await form(c);
    if (!result.identity.admin) {
      throw new GanymedeError('forbidden', 'Only administrators can do this.');
    }
    return result;
  }

  async function userOf(identity: Identity): Promise<User> {
    const user = await store.getUserById(identity.userId);
    if (!user) throw new GanymedeError('unauthorized', 'Please sign in again.');
    return user;
  }

  return { signedIn, admin, form, adminForm, userOf, xsrf: (i: Identity) => auth.xsrfToken(i) };
}

export type Guards = ReturnType<typeof createGuards>;

/** One text field of a form; a missing or repeated field is ''. */
export function text(form: FormValues, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value : '';
}

/** Every value of a field that may repeat (checkboxes). */
export function texts(form: FormValues, name: string): string[] {
  const value = form[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === 'string');
}
