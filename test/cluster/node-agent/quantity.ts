/**
 * Kubernetes resource quantities → numbers (cores for cpu, bytes for the rest), enough for
 * the agent's fit check. https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */
const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(value.trim());
  const multiplier = m ? suffixes[m[2] ?? ''] : undefined;
  if (!m || multiplier === undefined) throw new Error(`invalid quantity "${value}"`);
  return Number(m[1]) * multiplier;
}
