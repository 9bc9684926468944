/**
 * Structured JSON logs (pino). Secrets never reach the log: the paths below are redacted
 * wherever they appear in a logged object.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'ganymede',
    level: options.level ?? process.env['GANYMEDE_LOG_LEVEL'] ?? 'info',
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'sessionId',
      ],
      censor: '[redacted]',
    },
    // Any logged `url` (the proxy logs request targets) loses its `?token=`.
    serializers: {
      url: (value: unknown) => (typeof value === 'string' ? redactUrl(value) : value),
    },
  });
}

/**
 * A URL or request target with the value of every `token` query parameter replaced, so an
 * API token passed as `?token=` (src/proxy/request-policy.ts) never reaches a log.
 */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((part) => (isTokenParam(part.split('=', 1)[0] ?? '') ? 'token=[redacted]' : part))
    .join('&');
  return `${url.slice(0, queryAt + 1)}${query}`;
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = pino({ level: 'silent' });

function isTokenParam(name: string): boolean {
  try {
    return decodeURIComponent(name.replaceAll('+', ' ')).toLowerCase() === 'token';
  } catch {
    return name.toLowerCase() === 'token';
  }
}
