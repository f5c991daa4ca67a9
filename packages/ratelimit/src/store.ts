import type { CompiledPolicy } from './internal/policy.js';

/**
 * Runs one operation for a bound group of policies; the answer is 4 numbers per policy, in policy order:
 * allowed (1/0), remaining, resetMs, retryAfterMs.
 *
 * A sync runner (memory store) returns those numbers from `run` directly, in a buffer it reuses on the next call. An
 * async runner (Redis store) returns its raw reply as a promise; the limiter passes the reply to `read` (which may also
 * reuse a buffer: the limiter copies the numbers out before anything else runs) and, when the promise rejects, asks
 * `retry` whether to try once more (e.g. EVAL after NOSCRIPT).
 */
export interface StoreRunner {
  /** True when `run` returns the result directly (memory store). */
  readonly sync: boolean;
  /** Runs `op` (see the internal op codes) for `key` with `cost`. */
  run(op: number, key: string, cost: number): ArrayLike<number> | Promise<unknown>;
  /** Async runners: the 4 numbers per policy from a reply of `run`. @throws {RateLimitStoreError} on a malformed reply. */
  read?(reply: unknown, op: number, cost: number): ArrayLike<number>;
  /** Async runners: a second attempt after `error`, or undefined to give up. Called at most once per operation. */
  retry?(error: unknown, op: number, key: string, cost: number): Promise<unknown> | undefined;
  /**
   * Async runners: called once each time a promise returned by `run` or `retry` settles, even after the limiter's
   * timeout answered the caller (the Redis store counts its outstanding commands with it, without a promise of its own).
   */
  settled?(): void;
}

/** A store the limiter keeps its state in: {@link memoryStore} or {@link redisStore}. */
export interface RateLimitStore {
  /** Which store this is. */
  readonly kind: 'memory' | 'redis';
  /** Internal: binds a group of compiled policies; called once per limiter at construction. */
  bind(policies: readonly CompiledPolicy[]): StoreRunner;
}
