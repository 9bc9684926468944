/**
 * Removes one cookie from a `Cookie` request header (RFC 6265 §5.4: `name=value` pairs
 * separated by `; `). The hub's session cookie must never reach a notebook server: code
 * running there belongs to the user, and could replay the session against the hub.
 * Returns `undefined` when nothing is left, so the caller drops the header.
 */
export function removeCookie(header: string, name: string): string | undefined {
  // Fast path: most forwarded requests carry only Jupyter's own cookies or ours.
  if (!header.includes(name)) return header;
  let kept = '';
  for (const pair of header.split(';')) {
    const trimmed = pair.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    // A pair without '=' is a nameless cookie in browsers (RFC 6265bis §5.6): keep it.
    const cookieName = eq === -1 ? '' : trimmed.slice(0, eq).trim();
    if (cookieName === name) continue;
    kept = kept === '' ? trimmed : `${kept}; ${trimmed}`;
  }
  return kept === '' ? undefined : kept;
}
