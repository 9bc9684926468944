import { z } from 'zod';

/** Kubernetes quantity (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/).
 * Its own module because both the notebook spec and the hub's configuration use it, and the
 * configuration also imports the notebook spec's pod options. */
export const quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'must be a Kubernetes quantity');

const suffixes: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
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

/** The number a quantity stands for ("1500m" → 1.5, "2Gi" → 2147483648), to compare and add
 * them; NaN for a string `quantity` refuses. Exact enough for comparisons and sums of the
 * sizes people write (doubles hold integers up to 2^53 exactly). */
export function quantityValue(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q);
  if (!m) return Number.NaN;
  return Number(m[1]) * (suffixes[m[2] ?? ''] ?? Number.NaN);
}
