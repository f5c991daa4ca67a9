// @org/metrics raises usage errors only (a bad option or argument, at setup): recording never throws into a request.

/** What a code tells a caller without reading the message. */
export interface MetricsCodeInfo {
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** The HTTP status it maps to; absent for usage errors (thrown at setup). */
  readonly status?: number;
}

/**
 * Every code @org/metrics' errors carry: `ERR_INVALID_OPTION` (a `createMetrics()` option) and `ERR_INVALID_ARGUMENT`
 * (what `observeBreaker()`, `observeBreakers()`, `observeLimiter()` or `observeHealth()` was given), on the built-in
 * `TypeError` / `RangeError`. The README's table is checked against it.
 */
export const metricsErrorCodes: Readonly<Record<'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', MetricsCodeInfo>> =
  Object.freeze({
    ERR_INVALID_OPTION: Object.freeze({ retryable: false }),
    ERR_INVALID_ARGUMENT: Object.freeze({ retryable: false }),
  });

type UsageErrorClass = TypeErrorConstructor | RangeErrorConstructor;

/** A bad option or argument: the built-in class (for `instanceof`) with a code, as Node's own errors have. */
export interface UsageError extends Error {
  /** `ERR_INVALID_OPTION` (an option of `createMetrics()`) or `ERR_INVALID_ARGUMENT` (any other argument). */
  readonly code: 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT';
  /** Always false: the same call fails the same way. */
  readonly retryable: false;
}

function usageError(Class: UsageErrorClass, code: UsageError['code'], message: string): UsageError {
  const e = new Class(message) as Error & { code: string; retryable: boolean };
  e.code = code;
  e.retryable = false;
  // the code in the stack's first line, as Node writes its own coded errors
  e.name = `${Class.name} [${code}]`;
  void e.stack;
  delete (e as { name?: string }).name;
  return e as UsageError;
}

/** @internal A `TypeError`/`RangeError` naming a bad option: code `ERR_INVALID_OPTION`, not retryable. */
export const invalidOption = (Class: UsageErrorClass, message: string): UsageError =>
  usageError(Class, 'ERR_INVALID_OPTION', message);

/** @internal A `TypeError`/`RangeError` naming a bad argument: code `ERR_INVALID_ARGUMENT`, not retryable. */
export const invalidArgument = (Class: UsageErrorClass, message: string): UsageError =>
  usageError(Class, 'ERR_INVALID_ARGUMENT', message);
