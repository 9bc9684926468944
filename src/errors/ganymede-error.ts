/**
 * One error type with two faces: what the person in front of the browser is told
 * (`userMessage`, plain language, safe to show) and what the operator's log gets (`detail`).
 * The web layer turns it into HTTP in one place; everything else just throws it.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_many_requests'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

const httpStatus: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  payload_too_large: 413,
  unavailable: 503,
  internal: 500,
};

export class GanymedeError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly detail: string | undefined;
  /** The input field at fault, for validation errors (`hub.port`, `name`). */
  readonly field: string | undefined;

  constructor(
    code: ErrorCode,
    userMessage: string,
    options: { detail?: string; field?: string; cause?: unknown } = {},
  ) {
    super(options.detail ? `${userMessage} (${options.detail})` : userMessage, {
      cause: options.cause,
    });
    this.name = 'GanymedeError';
    this.code = code;
    this.userMessage = userMessage;
    this.detail = options.detail;
    this.field = options.field;
  }

  get status(): number {
    return httpStatus[this.code];
  }
}

export function isGanymedeError(e: unknown): e is GanymedeError {
  return e instanceof GanymedeError;
}
