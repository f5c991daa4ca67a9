// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/breaker.error');

/** Codes carried by {@link BreakerError} and its subclasses. */
export type BreakerErrorCode =
  | 'ERR_CIRCUIT_OPEN'
  | 'ERR_CIRCUIT_TIMEOUT'
  | 'ERR_BULKHEAD_FULL'
  | 'ERR_BREAKER_EXISTS'
  | 'ERR_REGISTRY_FULL';

/** What a code tells a caller without reading the message. */
export interface ErrorCodeInfo {
  /** True when the same call may succeed later; false when retrying cannot help. */
  readonly retryable: boolean;
  /** The HTTP status a server answers with when the error escapes a handler; absent: none (500). */
  readonly status?: number;
}

/**
 * Every code @org/breaker's errors carry, with its `retryable` and `status`. Errors read these values from here, the
 * README's table is checked against it, and `ERR_INVALID_OPTION` / `ERR_INVALID_ARGUMENT` are the codes of the
 * built-in `TypeError` / `RangeError` thrown for a bad option or argument.
 */
export const breakerErrorCodes: Readonly<
  Record<BreakerErrorCode | 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', ErrorCodeInfo>
> = freeze({
  ERR_CIRCUIT_OPEN: { retryable: true, status: 503 },
  ERR_CIRCUIT_TIMEOUT: { retryable: true, status: 504 },
  ERR_BULKHEAD_FULL: { retryable: true, status: 503 },
  ERR_BREAKER_EXISTS: { retryable: false },
  ERR_REGISTRY_FULL: { retryable: false },
  ERR_INVALID_OPTION: { retryable: false },
  ERR_INVALID_ARGUMENT: { retryable: false },
});

function freeze<T extends Record<string, ErrorCodeInfo>>(table: T): Readonly<T> {
  for (const info of Object.values(table)) Object.freeze(info);
  return Object.freeze(table);
}

/** Why a call was not admitted: the circuit is open, half-open with every trial permit taken, or isolated by hand. */
export type RejectReason = 'open' | 'half-open' | 'isolated';

/**
 * Base error of the package. `code` is stable and documented, `retryable` and `status` follow from it (see
 * {@link breakerErrorCodes}); messages never carry call data.
 */
export class BreakerError extends Error {
  /** Stable machine-readable code. */
  readonly code: BreakerErrorCode;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** HTTP status the error maps to, when it has one. */
  declare readonly status?: number;
  constructor(code: BreakerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BreakerError';
    this.code = code;
    const info = breakerErrorCodes[code];
    this.retryable = info.retryable;
    if (info.status !== undefined) this.status = info.status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * Thrown (or passed to `fallback`) when the circuit does not admit a call. `code` is `ERR_CIRCUIT_OPEN` for every
 * reason; `retryAfterMs` says when a call may be admitted again (0 = unknown/soon, `Infinity` while isolated).
 * Retry libraries read `retryAfterMs` duck-typed, so this error steers `@org/retry` without either package importing
 * the other.
 */
export class CircuitOpenError extends BreakerError {
  /** Milliseconds until the circuit may admit a call again. */
  readonly retryAfterMs: number;
  /** Why the call was rejected. */
  readonly reason: RejectReason;
  constructor(name: string, reason: RejectReason, retryAfterMs: number) {
    super(
      'ERR_CIRCUIT_OPEN',
      reason === 'isolated'
        ? `circuitBreaker "${name}": circuit is isolated`
        : reason === 'half-open'
          ? `circuitBreaker "${name}": circuit is half-open and every trial permit is taken`
          : `circuitBreaker "${name}": circuit is open, retry after ${Math.ceil(retryAfterMs)} ms`,
    );
    this.name = 'CircuitOpenError';
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The call exceeded the breaker's `timeoutMs`; its signal was aborted with this error. Code `ERR_CIRCUIT_TIMEOUT`. */
export class BreakerTimeoutError extends BreakerError {
  /** The timeout that elapsed, in ms. */
  readonly timeoutMs: number;
  constructor(name: string, timeoutMs: number) {
    super('ERR_CIRCUIT_TIMEOUT', `circuitBreaker "${name}": call timed out after ${timeoutMs} ms`);
    this.name = 'BreakerTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The bulkhead's slots and queue are all taken. Code `ERR_BULKHEAD_FULL`. */
export class BulkheadFullError extends BreakerError {
  /** The bulkhead's concurrency limit. */
  readonly maxConcurrent: number;
  /** The bulkhead's queue limit. */
  readonly maxQueue: number;
  constructor(maxConcurrent: number, maxQueue: number) {
    super('ERR_BULKHEAD_FULL', `bulkhead: ${maxConcurrent} calls running and ${maxQueue} queued, call rejected`);
    this.name = 'BulkheadFullError';
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
  }
}

/** True for any error created by this package, even from another copy of it (ESM vs CJS). */
export function isBreakerError(e: unknown): e is BreakerError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** True for the error a breaker throws when it rejects a call (`code === 'ERR_CIRCUIT_OPEN'`), from any copy. */
export function isCircuitOpenError(e: unknown): e is CircuitOpenError {
  return isBreakerError(e) && e.code === 'ERR_CIRCUIT_OPEN';
}

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
