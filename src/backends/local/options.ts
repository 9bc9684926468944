/**
 * Options of the local backend, and the checks on what `start` is given. Data fields are
 * validated with zod (a wrong one names its field); the injected functions are typed only.
 */
import { z } from 'zod';
import { GanymedeError } from '../../errors/ganymede-error.ts';
import type { Probe } from './readiness.ts';

/** The subset of a pino logger we use; any pino `Logger` fits. */
export interface BackendLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The logger used when none is given: drops everything. */
export const silentBackendLogger: BackendLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export const localBackendSettingsSchema = z.strictObject({
  /** Root of users' homes and servers' state; created when missing. */
  dataDir: z.string().min(1),
  /** Path of the `jupyter` command; replaces `jupyter` as a profile command's first word. */
  jupyter: z.string().min(1),
  /** How long a server may take to answer before its start fails. Default 120 s. */
  startTimeoutMs: z.int().min(1).default(120_000),
  /** Time between SIGTERM and SIGKILL when stopping. Default 10 s. */
  stopGraceMs: z.int().min(0).default(10_000),
  /** How often adopted servers (not our children) are checked for a crash. Default 5 s. */
  checkIntervalMs: z.int().min(10).default(5_000),
  /** Upper bound for one readiness or adoption probe. Default 2 s. */
  probeTimeoutMs: z.int().min(1).default(2_000),
});
export type LocalBackendSettings = z.infer<typeof localBackendSettingsSchema>;

export interface LocalBackendOptions extends z.input<typeof localBackendSettingsSchema> {
  /** Default: drops everything. */
  readonly log?: BackendLogger;
  /** Default `Date.now`. */
  readonly now?: () => number;
  /** Default: the HTTP probe of `api/status` (./readiness.ts). */
  readonly probe?: Probe;
  /** Environment the notebook's allow-list is taken from. Default `process.env`. */
  readonly parentEnv?: Readonly<Record<string, string | undefined>>;
}

export function parseSettings(options: LocalBackendOptions): LocalBackendSettings {
  const parsed = localBackendSettingsSchema.safeParse({
    dataDir: options.dataDir,
    jupyter: options.jupyter,
    startTimeoutMs: options.startTimeoutMs,
    stopGraceMs: options.stopGraceMs,
    checkIntervalMs: options.checkIntervalMs,
    probeTimeoutMs: options.probeTimeoutMs,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = `backend.local.${issue?.path.join('.') ?? ''}`;
    throw new GanymedeError('internal', 'The local backend is misconfigured.', {
      detail: `${field}: ${issue?.message ?? 'invalid'}`,
      field,
    });
  }
  return parsed.data;
}

/**
 * A base URL is a path prefix that starts and ends with `/`, with no empty, `.` or `..`
 * segment and nothing a URL path would not carry literally (RFC 3986 §3.3): it is handed to
 * Jupyter and must describe exactly one route.
 */
const baseUrlSchema = z
  .string()
  .max(1024)
  .regex(
    /^\/([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+(\/([A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+)*\/$/,
    {
      message: 'must be a path like /user/alice/ (percent-encoded, starting and ending with /)',
    },
  )
  .refine((url) => url.split('/').every(isPlainSegment), {
    message: 'must not contain ., .. or encoded / segments',
  });

/** A segment that decodes to itself as one segment: not `.`/`..`, no encoded `/` or `\\`. */
function isPlainSegment(segment: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return false;
  }
  return decoded !== '.' && decoded !== '..' && !/[/\\]/.test(decoded);
}

export function parseBaseUrl(baseUrl: unknown): string {
  const parsed = baseUrlSchema.safeParse(baseUrl);
  if (!parsed.success) {
    throw new GanymedeError('bad_request', 'The notebook server address is not valid.', {
      detail: `baseUrl ${JSON.stringify(baseUrl)}: ${parsed.error.issues[0]?.message ?? ''}`,
      field: 'baseUrl',
    });
  }
  return parsed.data;
}
