/**
 * The last lines of a server's log, made fit to show: they become the `detail` of a failed or
 * crashed server, which the page folds away for the curious user and the operator logs.
 * So they are short (a minified-JavaScript stack trace can be one 100 kB line), free of
 * terminal escape codes, and never contain the server's token.
 */
import { open } from 'node:fs/promises';

export const DEFAULT_TAIL_LINES = 20;
export const MAX_LINE_CHARS = 400;
/** Bytes read from the end of the file; 20 sane lines fit many times over. */
const TAIL_BYTES = 64 * 1024;

// ECMA-48 CSI sequences (colours, cursor moves) and other escapes terminals interpret.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ansiEscape = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]/g;
const tokenInUrl = /([?&]token=)[^&\s"']+/gi;

export function tailLines(text: string, count: number): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  return lines.slice(-count);
}

export function cleanLogLine(line: string, secrets: readonly string[]): string {
  let cleaned = line.replace(ansiEscape, '').replace(tokenInUrl, '$1[redacted]');
  for (const secret of secrets) {
    if (secret !== '') cleaned = cleaned.split(secret).join('[redacted]');
  }
  return cleaned.length > MAX_LINE_CHARS ? `${cleaned.slice(0, MAX_LINE_CHARS)} …` : cleaned;
}

/** The cleaned tail of `text` as one string ('' when the text has no lines). */
export function formatLogTail(
  text: string,
  secrets: readonly string[] = [],
  count = DEFAULT_TAIL_LINES,
): string {
  return tailLines(text, count)
    .map((line) => cleanLogLine(line, secrets))
    .join('\n');
}

/** Reads the end of a log file; a missing file reads as ''. */
export async function readLogTail(
  file: string,
  secrets: readonly string[] = [],
  count = DEFAULT_TAIL_LINES,
): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    let text = buffer.toString('utf8');
    // The first line is probably cut in the middle: drop it unless we read the whole file.
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
    return formatLogTail(text, secrets, count);
  } finally {
    await handle.close();
  }
}
