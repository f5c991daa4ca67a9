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

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
