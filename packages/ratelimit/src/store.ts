import type { CompiledPolicy } from './internal/policy.js';

/**
 * Runs one operation for a bound group of policies. Returns 4 numbers per policy, in policy order:
 * allowed (1/0), remaining, resetMs, retryAfterMs. A sync runner returns a buffer it reuses on the next call.
 */
export interface StoreRunner {
  /** True when `run` returns the result directly (memory store). */
  readonly sync: boolean;
  /** Runs `op` (see the internal op codes) for `key` with `cost`. */
  run(op: number, key: string, cost: number): ArrayLike<number> | Promise<ArrayLike<number>>;
}

/** A store the limiter keeps its state in: {@link memoryStore} or {@link redisStore}. */
export interface RateLimitStore {
  /** Which store this is. */
  readonly kind: 'memory' | 'redis';
  /** Internal: binds a group of compiled policies; called once per limiter at construction. */
  bind(policies: readonly CompiledPolicy[]): StoreRunner;
}
