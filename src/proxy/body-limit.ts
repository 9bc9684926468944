/**
 * Counts a request body of unknown length (chunked, RFC 9112 §7.1) as it streams and stops it
 * at the limit: the chunk that would cross the limit is never passed on. Bodies with a
 * `Content-Length` are checked up front instead and need no counting stream.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { GanymedeError } from '../errors/ganymede-error.ts';

export function createBodyLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        callback(bodyTooLarge(maxBytes));
        return;
      }
      callback(null, chunk);
    },
  });
}

export function bodyTooLarge(maxBytes: number): GanymedeError {
  return new GanymedeError(
    'payload_too_large',
    `The request body is larger than this hub accepts (${maxBytes} bytes).`,
  );
}

/** The declared `Content-Length`, or undefined when absent; NaN when malformed. */
export function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  return /^\d+$/.test(header) ? Number(header) : Number.NaN;
}
