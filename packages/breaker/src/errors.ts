// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/breaker.error');

/** Why a call was not admitted: the circuit is open, half-open with every trial permit taken, or isolated by hand. */
export type RejectReason = 'open' | 'half-open' | 'isolated';

/** Base error of the package. `code` is stable and documented; messages never carry call data. */
export class BreakerError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BreakerError';
    this.code = code;
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
