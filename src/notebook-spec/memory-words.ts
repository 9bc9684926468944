/**
 * Kubernetes memory quantities as people say them: "2Gi" → "2 GB". One wording for the
 * portal's environment cards and the operator's messages, so a limit reads the same in both.
 */
export function memoryInWords(q: string): string {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return q;
  const unit = { Ki: 'KB', Mi: 'MB', Gi: 'GB', Ti: 'TB', k: 'KB', M: 'MB', G: 'GB', T: 'TB' };
  return `${m[1] ?? q} ${m[2] ? unit[m[2] as keyof typeof unit] : 'bytes'}`;
}
