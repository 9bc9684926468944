/**
 * `next=` after sign-in must stay on this site: only a same-origin path under /hub/ or /user/
 * is followed. Rejects absolute and scheme-relative URLs (`//evil`, `/\evil`, `https:evil`),
 * and anything a browser would resolve to another origin.
 */
export function safeNext(next: unknown, fallback = '/hub/home'): string {
  if (typeof next !== 'string' || next.length > 2000) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  // Control characters and whitespace can be dropped by browsers, turning `/\t/evil` into `//evil`.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u0020\u007f]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, 'http://hub.invalid');
  } catch {
    return fallback;
  }
  if (url.origin !== 'http://hub.invalid') return fallback;
  if (!url.pathname.startsWith('/hub/') && !url.pathname.startsWith('/user/')) return fallback;
  return url.pathname + url.search + url.hash;
}
