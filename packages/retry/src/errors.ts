// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/retry.error');

/** Codes carried by {@link RetryError} and its subclasses. */
export type RetryErrorCode = 'ERR_ATTEMPT_TIMEOUT';

/** What a code tells a caller without reading the message. */
export interface ErrorCodeInfo {
  /** True when the same call may succeed later; false when retrying cannot help. */
  readonly retryable: boolean;
  /** The HTTP status a server answers with when the error escapes a handler; absent: none (500). */
  readonly status?: number;
}

/**
 * Every code @org/retry's errors carry, with its `retryable` and `status`. Errors read these values from here, the
 * README's table is checked against it, and `ERR_INVALID_OPTION` / `ERR_INVALID_ARGUMENT` are the codes of the
 * built-in `TypeError` / `RangeError` thrown for a bad option or argument.
 */
export const retryErrorCodes: Readonly<
  Record<RetryErrorCode | 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', ErrorCodeInfo>
> = freeze({
  ERR_ATTEMPT_TIMEOUT: { retryable: true, status: 504 },
  ERR_INVALID_OPTION: { retryable: false },
  ERR_INVALID_ARGUMENT: { retryable: false },
});

function freeze<T extends Record<string, ErrorCodeInfo>>(table: T): Readonly<T> {
  for (const info of Object.values(table)) Object.freeze(info);
  return Object.freeze(table);
}

/**
 * Base error of @org/retry. `code` is stable and documented, `retryable` and `status` follow from it (see
 * {@link retryErrorCodes}); messages never carry secrets.
 */
export class RetryError extends Error {
  /** Stable machine-readable code. */
  readonly code: RetryErrorCode;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** HTTP status the error maps to, when it has one. */
  declare readonly status?: number;
  constructor(code: RetryErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RetryError';
    this.code = code;
    const info = retryErrorCodes[code];
    this.retryable = info.retryable;
    if (info.status !== undefined) this.status = info.status;
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

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
