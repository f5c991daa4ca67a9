/**
 * @org/retry — retries with backoff, jitter, Retry-After and shared retry budgets. Zero dependencies, no `node:`
 * import: runs on Node, Bun, Deno and edge runtimes.
 */

export type { Backoff, BackoffOptions, BackoffType, Jitter } from './backoff.js';
export { BACKOFF_DEFAULTS, createBackoff, MAX_DELAY_MS } from './backoff.js';
export type { RetryBudget, RetryBudgetOptions } from './budget.js';
export { RETRY_BUDGET_DEFAULTS, retryBudget } from './budget.js';
export type { ErrorCodeInfo, RetryErrorCode, UsageError } from './errors.js';
export { AttemptTimeoutError, isRetryError, RetryError, retryErrorCodes } from './errors.js';
export { sleep } from './internal/sleep.js';
export type {
  AttemptContext,
  GiveUpEvent,
  GiveUpReason,
  Outcome,
  RetryEvent,
  RetryFn,
  RetryOnContext,
  RetryOptions,
  RetryPolicy,
} from './retry.js';
export { RETRY_DEFAULTS, retry, retryPolicy } from './retry.js';
export type { HeadersLike } from './retry-after.js';
export { parseRetryAfter } from './retry-after.js';
