/**
 * What the hub must remember between sending a browser to the identity provider and the
 * provider sending it back: the PKCE verifier (RFC 7636 §4.1), `state` (RFC 6749 §10.12,
 * against login CSRF), `nonce` (OIDC Core 1.0 §3.1.2.1, against ID token replay) and where to
 * go afterwards. It travels in a short-lived HttpOnly cookie, sealed with AES-256-GCM so the
 * browser can neither read the verifier nor change any field, and so every hub replica can
 * open it without shared server-side state. The key is derived (HKDF, RFC 5869) from the
 * OIDC client secret, which every replica already has and which never leaves the hub.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';

export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** Same-origin path to land on (already passed through safe-next). */
  readonly next: string;
  /** Milliseconds since the epoch after which the cookie is refused. */
  readonly expiresAt: number;
}

const pendingSchema = z.strictObject({
  state: z.string().min(1).max(200),
  nonce: z.string().min(1).max(200),
  codeVerifier: z.string().min(43).max(128),
  next: z.string().max(2000),
  expiresAt: z.number(),
});

const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const TAG_BYTES = 16;

export type SealKey = Buffer;

/** One key per client secret; the info string keeps it apart from any other use of it. */
export function deriveSealKey(clientSecret: string): SealKey {
  return Buffer.from(
    hkdfSync('sha256', clientSecret, 'ganymede', 'ganymede oidc pending sign-in v1', 32),
  );
}

/** `base64url(iv | ciphertext | tag)`, short enough for one cookie. */
export function sealPendingSignIn(key: SealKey, pending: PendingSignIn): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(pending), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/**
 * The pending sign-in, or `undefined` when the cookie is missing, was altered, was sealed with
 * another key, or has expired at `now`.
 */
export function openPendingSignIn(
  key: SealKey,
  sealed: string | undefined,
  now: number,
): PendingSignIn | undefined {
  if (!sealed || sealed.length > 4096) return undefined;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES + 1) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const text = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
    const parsed = pendingSchema.safeParse(JSON.parse(text));
    if (!parsed.success || parsed.data.expiresAt <= now) return undefined;
    return parsed.data;
  } catch {
    // A failed authentication tag: the cookie was changed or sealed with another key.
    return undefined;
  }
}
