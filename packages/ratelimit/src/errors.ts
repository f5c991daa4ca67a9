// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/ratelimit.error');

/** Codes carried by {@link RateLimitStoreError}. */
export type RateLimitStoreErrorCode = 'ERR_STORE' | 'ERR_STORE_TIMEOUT' | 'ERR_STORE_REPLY' | 'ERR_STORE_BACKLOG';

/** Codes carried by {@link RateLimitError} and its subclass. */
export type RateLimitErrorCode = RateLimitStoreErrorCode | 'ERR_SYNC_STORE';

/** What a code tells a caller without reading the message. */
export interface ErrorCodeInfo {
  /** True when the same call may succeed later; false when retrying cannot help. */
  readonly retryable: boolean;
  /** The HTTP status a server answers with when the error escapes a handler; absent: none (500). */
  readonly status?: number;
}

/**
 * Every code @org/ratelimit's errors carry, with its `retryable` and `status`. Errors read these values from here, the
 * README's table is checked against it, and `ERR_INVALID_OPTION` / `ERR_INVALID_ARGUMENT` are the codes of the
 * built-in `TypeError` / `RangeError` thrown for a bad option or argument.
 */
export const rateLimitErrorCodes: Readonly<
  Record<RateLimitErrorCode | 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', ErrorCodeInfo>
> = freeze({
  ERR_STORE: { retryable: true, status: 503 },
  ERR_STORE_TIMEOUT: { retryable: true, status: 504 },
  ERR_STORE_REPLY: { retryable: false, status: 502 },
  ERR_STORE_BACKLOG: { retryable: true, status: 503 },
  ERR_SYNC_STORE: { retryable: false },
  ERR_INVALID_OPTION: { retryable: false },
  ERR_INVALID_ARGUMENT: { retryable: false },
});

function freeze<T extends Record<string, ErrorCodeInfo>>(table: T): Readonly<T> {
  for (const info of Object.values(table)) Object.freeze(info);
  return Object.freeze(table);
}

/**
 * Base error of @org/ratelimit. `code` is stable and documented, `retryable` and `status` follow from it (see
 * {@link rateLimitErrorCodes}); messages never carry keys or client data.
 */
export class RateLimitError extends Error {
  /** Stable machine-readable code. */
  readonly code: RateLimitErrorCode;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** HTTP status the error maps to, when it has one. */
  declare readonly status?: number;
  constructor(code: RateLimitErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RateLimitError';
    this.code = code;
    const info = rateLimitErrorCodes[code];
    this.retryable = info.retryable;
    if (info.status !== undefined) this.status = info.status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Thrown (only with `onStoreError: 'throw'`) or reported through `on('storeError')` when the store fails or times out. */
export class RateLimitStoreError extends RateLimitError {
  declare readonly code: RateLimitStoreErrorCode;
  constructor(code: RateLimitStoreErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'RateLimitStoreError';
  }
}

/** True for any error created by this package, even from another copy of it (ESM vs CJS). */
export function isRateLimitError(e: unknown): e is RateLimitError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
