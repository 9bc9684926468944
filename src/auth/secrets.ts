/**
 * Session ids and API tokens: 32 random bytes, shown once, stored only as SHA-256 hashes.
 * A fast hash is right here (unlike passwords): the input has 256 bits of entropy, so there
 * is nothing to brute-force, and every proxied request looks one up.
 */
import { createHash, randomBytes } from 'node:crypto';

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
