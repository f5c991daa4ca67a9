// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/logger.error');

/** Codes carried by {@link LoggerError}. */
export type LoggerErrorCode = 'ERR_SINK_OPEN' | 'ERR_SINK_WRITE' | 'ERR_SINK_TIMEOUT';

/** What a code tells a caller without reading the message. */
export interface ErrorCodeInfo {
  /** True when the same call may succeed later; false when retrying cannot help. */
  readonly retryable: boolean;
  /** The HTTP status a server answers with when the error escapes a handler; absent: none (500). */
  readonly status?: number;
}

/**
 * Every code @org/logger's errors carry, with its `retryable` and `status`. Errors read these values from here, the
 * README's table is checked against it, and `ERR_INVALID_OPTION` / `ERR_INVALID_ARGUMENT` are the codes of the
 * built-in `TypeError` / `RangeError` thrown for a bad option or argument.
 */
export const loggerErrorCodes: Readonly<
  Record<LoggerErrorCode | 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', ErrorCodeInfo>
> = freeze({
  ERR_SINK_OPEN: { retryable: false },
  ERR_SINK_WRITE: { retryable: false },
  ERR_SINK_TIMEOUT: { retryable: true },
  ERR_INVALID_OPTION: { retryable: false },
  ERR_INVALID_ARGUMENT: { retryable: false },
});

function freeze<T extends Record<string, ErrorCodeInfo>>(table: T): Readonly<T> {
  for (const info of Object.values(table)) Object.freeze(info);
  return Object.freeze(table);
}

/**
 * Base error of @org/logger. `code` is stable and documented, `retryable` and `status` follow from it (see
 * {@link loggerErrorCodes}); messages never carry logged data.
 */
export class LoggerError extends Error {
  /** Stable machine-readable code. */
  readonly code: LoggerErrorCode;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** HTTP status the error maps to, when it has one. */
  declare readonly status?: number;
  constructor(code: LoggerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LoggerError';
    this.code = code;
    const info = loggerErrorCodes[code];
    this.retryable = info.retryable;
    if (info.status !== undefined) this.status = info.status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by @org/logger, even from another copy of it (ESM vs CJS). */
export function isLoggerError(e: unknown): e is LoggerError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
