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
  });
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
