// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/health.error');

/** Codes carried by {@link HealthError}. */
export type HealthErrorCode = 'ERR_DUPLICATE_CHECK' | 'ERR_HEALTH_CLOSED' | 'ERR_CHECK_TIMEOUT' | 'ERR_HOOK_TIMEOUT';

/** What a code tells a caller without reading the message. */
export interface ErrorCodeInfo {
  /** True when the same call may succeed later; false when retrying cannot help. */
  readonly retryable: boolean;
  /** The HTTP status a server answers with when the error escapes a handler; absent: none (500). */
  readonly status?: number;
}

/**
 * Every code @org/health's errors carry, with its `retryable` and `status`. Errors read these values from here, the
 * README's table is checked against it, and `ERR_INVALID_OPTION` / `ERR_INVALID_ARGUMENT` are the codes of the
 * built-in `TypeError` / `RangeError` thrown for a bad option or argument. No code has a `status`: probes answer with
 * their own `httpStatus`, never through an error.
 */
export const healthErrorCodes: Readonly<
  Record<HealthErrorCode | 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', ErrorCodeInfo>
> = freeze({
  ERR_DUPLICATE_CHECK: { retryable: false },
  ERR_HEALTH_CLOSED: { retryable: false },
  ERR_CHECK_TIMEOUT: { retryable: true },
  ERR_HOOK_TIMEOUT: { retryable: true },
  ERR_INVALID_OPTION: { retryable: false },
  ERR_INVALID_ARGUMENT: { retryable: false },
});

function freeze<T extends Record<string, ErrorCodeInfo>>(table: T): Readonly<T> {
  for (const info of Object.values(table)) Object.freeze(info);
  return Object.freeze(table);
}

/**
 * Base error of @org/health. `code` is stable and documented, `retryable` and `status` follow from it (see
 * {@link healthErrorCodes}):
 * - `ERR_DUPLICATE_CHECK`: a check with the same name is already registered.
 * - `ERR_HEALTH_CLOSED`: the health instance was closed (or the check unregistered).
 * - `ERR_CHECK_TIMEOUT`: a check did not settle within its `timeoutMs` (reported in the check's `output`).
 * - `ERR_HOOK_TIMEOUT`: a shutdown hook did not settle within its `timeoutMs` (its signal's reason).
 */
export class HealthError extends Error {
  /** Stable machine-readable code. */
  readonly code: HealthErrorCode;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** HTTP status the error maps to, when it has one. */
  declare readonly status?: number;
  constructor(code: HealthErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HealthError';
    this.code = code;
    const info = healthErrorCodes[code];
    this.retryable = info.retryable;
    if (info.status !== undefined) this.status = info.status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by @org/health, even from another copy of it (ESM vs CJS). */
export function isHealthError(e: unknown): e is HealthError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
