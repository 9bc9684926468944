/**
 * argon2id password hashes in the PHC string format
 * (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`, https://github.com/P-H-C/phc-string-format).
 * Node 24 has argon2 built in (crypto.argon2, RFC 9106), so no native add-on is needed; it
 * returns raw bytes, hence the small PHC encoder/decoder here. Parameters follow RFC 9106's
 * second recommended option (64 MiB, t=3, p=4) scaled to m=19 MiB, t=2, p=1 per the OWASP
 * Password Storage Cheat Sheet so sign-in stays fast on a 2-core hub.
 */
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const argon2Async = promisify(argon2);

export interface Argon2Params {
  readonly memory: number; // KiB
  readonly passes: number;
  readonly parallelism: number;
}

export const DEFAULT_PARAMS: Argon2Params = { memory: 19 * 1024, passes: 2, parallelism: 1 };
const HASH_BYTES = 32;
const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

async function derive(password: string, salt: Buffer, params: Argon2Params, length: number) {
  return argon2Async('argon2id', {
    message: Buffer.from(password.normalize('NFC'), 'utf8'),
    nonce: salt,
    parallelism: params.parallelism,
    tagLength: length,
    memory: params.memory,
    passes: params.passes,
  });
}

export async function hashPassword(password: string, params = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params, HASH_BYTES);
  return `$argon2id$v=19$m=${params.memory},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
}

const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Constant-time check; a malformed stored hash verifies as false. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = phc.exec(stored);
  if (!m) return false;
  const [, mem = '', t = '', par = '', salt = '', hash = ''] = m;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    { memory: Number(mem), passes: Number(t), parallelism: Number(par) },
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}

/** A fixed hash to verify against for unknown users, so their sign-in takes as long. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}

/** A readable random password for the first admin (about 100 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url');
}
