/** `GET /user`: who the credentials belong to and what they may do (JupyterHub's whoami). */
import { authenticate, type ApiContext, type ApiDeps } from '../context.ts';
import { tokenId, userModel } from '../models.ts';
import { identifyScopes } from '../scopes.ts';

export async function getSelf(c: ApiContext, deps: ApiDeps): Promise<Response> {
  const caller = await authenticate(c, deps);
  const { user } = caller;
  // Any credentials may identify their owner, whatever their scopes (JupyterHub does the same);
  // the scopes added for that are not reported as held.
  const visible = new Set([...caller.scopes, ...identifyScopes(user)]);
  const views = (await deps.servers.statesOf([user])).get(user.id) ?? [];
  const model = userModel(visible, user, views, {
    includeStopped: false,
    groups: await deps.store.listUserGroups(user.id),
  });
  return c.json({
    ...model,
    scopes: [...caller.scopes].sort(),
    token_id: caller.tokenId === undefined ? null : tokenId({ id: caller.tokenId }),
    session_id: null,
  });
}
