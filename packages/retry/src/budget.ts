import { invalidOption } from './errors.js';
import { checkFunction, checkKeys, checkNumber, describe } from './internal/validate.js';

/** Options for {@link retryBudget}. */
export interface RetryBudgetOptions {
  /** Tokens deposited by every execution (first attempt): 0.1 allows retries for ~10% of traffic. Default 0.1. */
  ratio?: number;
  /** Tokens refilled per second whatever the traffic, so low-traffic callers can still retry. Default 10. */
  minPerSecond?: number;
  /** Bucket capacity: the largest burst of retries. Default max(10, minPerSecond × 10). */
  maxTokens?: number;
  /** Time source in ms (monotonic). Default `performance.now`. */
  clock?: () => number;
}

/**
 * A token bucket shared by any number of retry calls and policies: every execution deposits `ratio` tokens, time
 * refills `minPerSecond` tokens per second, every retry withdraws one token and is refused when fewer than one
 * remain. Over any period, retries <= ratio × executions + minPerSecond × seconds + maxTokens, so a failing
 * dependency sees at most that much extra load instead of `attempts`× its traffic. No timer: refill is computed on use.
 */
export interface RetryBudget {
  /** Records one execution (deposits `ratio` tokens). Called by retry once per call, before the first attempt. */
  recordExecution(): void;
  /** Takes one token for a retry; false (nothing taken) when the budget is exhausted. */
  tryAcquire(): boolean;
  /** Tokens available now. */
  readonly tokens: number;
  /** Normalised options. */
  readonly options: Readonly<{ ratio: number; minPerSecond: number; maxTokens: number }>;
}

/** Defaults applied by {@link retryBudget} (maxTokens default: max(10, minPerSecond × 10)). */
export const RETRY_BUDGET_DEFAULTS: Readonly<{ ratio: number; minPerSecond: number }> = Object.freeze({
  ratio: 0.1,
  minPerSecond: 10,
});

const BRAND = Symbol.for('@org/retry.budget');
const BUDGET_KEYS: ReadonlySet<string> = new Set(['ratio', 'minPerSecond', 'maxTokens', 'clock']);
const EPS = 1e-9; // ten deposits of 0.1 must make one token despite binary rounding

/**
 * Creates a retry budget to share between calls (`retry(fn, { budget })`). Starts with min(maxTokens, minPerSecond)
 * tokens.
 * @throws {TypeError|RangeError} naming the option when an option is invalid.
 */
export function retryBudget(opts: RetryBudgetOptions = {}): RetryBudget {
  if (typeof opts !== 'object' || opts === null)
    throw invalidOption(TypeError, `retryBudget: options must be an object, got ${describe(opts)}`);
  checkKeys('retryBudget', opts, BUDGET_KEYS);
  const ratio = checkNumber('retryBudget', 'ratio', opts.ratio ?? RETRY_BUDGET_DEFAULTS.ratio, 0);
  const minPerSecond = checkNumber(
    'retryBudget',
    'minPerSecond',
    opts.minPerSecond ?? RETRY_BUDGET_DEFAULTS.minPerSecond,
    0,
  );
  const maxTokens = checkNumber('retryBudget', 'maxTokens', opts.maxTokens ?? Math.max(10, minPerSecond * 10), 1);
  const clock = checkFunction<() => number>('retryBudget', 'clock', opts.clock) ?? (() => performance.now());
  let tokens = Math.min(maxTokens, minPerSecond);
  let last = clock();
  const refill = (): void => {
    if (minPerSecond === 0) return;
    const now = clock();
    const dt = now - last;
    last = now;
    if (dt > 0) {
      tokens += (dt * minPerSecond) / 1000;
      if (tokens > maxTokens) tokens = maxTokens;
    }
  };
  const budget: RetryBudget = {
    recordExecution() {
      tokens += ratio;
      if (tokens > maxTokens) tokens = maxTokens;
    },
    tryAcquire() {
      refill();
      if (tokens < 1 - EPS) return false;
      tokens = tokens > 1 ? tokens - 1 : 0;
      return true;
    },
    get tokens() {
      refill();
      return tokens;
    },
    options: Object.freeze({ ratio, minPerSecond, maxTokens }),
  };
  Object.defineProperty(budget, BRAND, { value: true });
  return budget;
}

/** True for a budget made by {@link retryBudget} (any copy of the package), or any object with the same methods. */
export function isRetryBudget(v: unknown): v is RetryBudget {
  return (
    typeof v === 'object' &&
    v !== null &&
    ((v as Record<symbol, unknown>)[BRAND] === true ||
      (typeof (v as RetryBudget).recordExecution === 'function' && typeof (v as RetryBudget).tryAcquire === 'function'))
  );
}
