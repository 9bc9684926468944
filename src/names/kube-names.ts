/**
 * Turns arbitrary Unicode names (users, servers) into Kubernetes names. Guarantees:
 *
 * - The result is a valid DNS-1123 label of at most `maxLength` characters (default 63;
 *   https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names).
 * - A name that is already a valid label, not longer than `maxLength` and without `--`,
 *   is returned unchanged, so common names stay readable.
 * - Any other name becomes `<cleaned prefix>--<10 hex digits of SHA-256(name)>`. Kept names
 *   never contain `--` and hashed ones always do, so a kept name can never equal a hashed
 *   one; two hashed names collide only if 40 bits of SHA-256 do.
 * - Deterministic: every hub replica and the operator derive the same name.
 *
 * `kubeServiceName` keeps the same guarantees for the stricter DNS-1035 label (first character
 * a letter), which Services need; a hashed name that would start with a digit gets an `n`.
 *
 * The raw name is always kept in an annotation next to the object (see kubernetes/labels).
 */
import { createHash } from 'node:crypto';

export const DNS_LABEL_MAX = 63;
const HASH_HEX = 10;
const validLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isSafeLabel(name: string, maxLength = DNS_LABEL_MAX): boolean {
  return name.length <= maxLength && validLabel.test(name) && !name.includes('--');
}

export function kubeName(raw: string, maxLength = DNS_LABEL_MAX): string {
  if (isSafeLabel(raw, maxLength)) return raw;
  return hashedName(raw, raw, maxLength);
}

const dns1035Start = /^[a-z]/;

/** A DNS-1035 label (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#rfc-1035-label-names),
 * as Service names must be; otherwise the same guarantees as `kubeName`. */
export function kubeServiceName(raw: string, maxLength = DNS_LABEL_MAX): string {
  if (isSafeLabel(raw, maxLength) && dns1035Start.test(raw)) return raw;
  return hashedName(raw, raw, maxLength, true);
}

/** Combines parts (user, server) into one name, each part made safe first. */
export function kubeNameOf(parts: readonly string[], maxLength = DNS_LABEL_MAX): string {
  const present = parts.filter((p) => p !== '');
  const joined = present.join('-');
  // One part stays readable when safe. Several parts are always hashed, over the unambiguous
  // tuple: ("a-b","c") and ("a","b-c") join to the same string but are different servers.
  if (present.length === 1 && isSafeLabel(joined, maxLength)) return joined;
  return hashedName(joined, JSON.stringify(parts), maxLength);
}

function hashedName(
  display: string,
  hashInput: string,
  maxLength: number,
  letterFirst = false,
): string {
  if (maxLength < HASH_HEX + 3) throw new RangeError(`maxLength ${maxLength} leaves no room`);
  const hash = createHash('sha256').update(hashInput, 'utf8').digest('hex').slice(0, HASH_HEX);
  const base = display
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cleaned = (letterFirst && /^[0-9]/.test(base) ? `n${base}` : base)
    .slice(0, maxLength - HASH_HEX - 2)
    .replace(/-+$/, '');
  return `${cleaned || 'x'}--${hash}`;
}
