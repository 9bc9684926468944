/** The API client's errors, apart from it so ./unreachable.ts can classify them without a cycle. */
export class KubeApiError extends Error {
  readonly status: number;
  /** `reason` of the API's Status object (`AlreadyExists`, `Conflict`, `Invalid`, …). */
  readonly reason: string | undefined;
  constructor(status: number, reason: string | undefined, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

/**
 * A request that got no byte for `timeoutMs` (a silent connection: a stalled load balancer,
 * a half-dead network): its socket is destroyed, so the pool never hands it out again.
 */
export class KubeApiTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(message: string) {
    super(message);
    this.name = 'KubeApiTimeoutError';
  }
}
