// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/retry.error');

/** Base error of @org/retry. `code` is stable and documented; messages never carry secrets. */
export class RetryError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * An attempt ran longer than `attemptTimeoutMs`. The attempt's signal is aborted with this error as its reason, and
 * the attempt counts as failed (retried by the default `retryOn`). Code `ERR_ATTEMPT_TIMEOUT`.
 */
export class AttemptTimeoutError extends RetryError {
  /** The 1-based attempt that timed out. */
  readonly attempt: number;
  /** The configured `attemptTimeoutMs`. */
  readonly timeoutMs: number;
  constructor(attempt: number, timeoutMs: number) {
    super('ERR_ATTEMPT_TIMEOUT', `retry: attempt ${attempt} timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
    this.attempt = attempt;
    this.timeoutMs = timeoutMs;
  }
}

/** True for any error created by this package, even from another copy of it (ESM vs CJS). */
export function isRetryError(e: unknown): e is RetryError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
