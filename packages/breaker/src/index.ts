/**
 * @org/breaker — circuit breaker and bulkhead: fast, allocation-free on the hot path, runtime-agnostic.
 *
 * `circuitBreaker(opts)` guards calls to a dependency (closed / open / half-open / isolated, count or time windows,
 * slow-call rate, backoff of open durations, events, snapshots); `bulkhead(opts)` caps concurrency with an abortable
 * queue; `breakerRegistry(opts)` holds named breakers with shared defaults, aggregated stats and events, and a health
 * check for `@org/health`. None creates a timer in steady state.
 */

export type {
  BreakerDefaults,
  BreakerEvents,
  BreakerSnapshot,
  BreakerStats,
  BreakerTask,
  CircuitBreaker,
  CircuitBreakerOptions,
  CircuitState,
  CountWindowOptions,
  FallbackInfo,
  IsolationHandle,
  OpenBackoffOptions,
  TimeWindowOptions,
  TransitionReason,
  TryResult,
} from './breaker.js';
export { BREAKER_DEFAULTS, circuitBreaker } from './breaker.js';
export type { Bulkhead, BulkheadOptions, BulkheadStats, BulkheadTask } from './bulkhead.js';
export { BULKHEAD_DEFAULTS, bulkhead } from './bulkhead.js';
export type { BreakerErrorCode, ErrorCodeInfo, RejectReason, UsageError } from './errors.js';
export {
  BreakerError,
  BreakerTimeoutError,
  BulkheadFullError,
  breakerErrorCodes,
  CircuitOpenError,
  isBreakerError,
  isCircuitOpenError,
} from './errors.js';
export type {
  BreakerRegistry,
  BreakerRegistryOptions,
  FallbackOf,
  RegistryBreakerOptions,
  RegistryDefaults,
  RegistryEvents,
  RegistryHealthCheck,
  RegistryHealthCheckOptions,
  RegistryHealthOutcome,
  RegistryHealthStatus,
  RegistryStats,
} from './registry.js';
export { breakerRegistry, REGISTRY_DEFAULTS } from './registry.js';
