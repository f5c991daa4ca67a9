/**
 * @org/metrics — Prometheus and OpenTelemetry metrics for the @org packages without a runtime dependency on either:
 * pass a prom-client `Registry` or an OpenTelemetry `Meter` to `createMetrics()`, hand the result to an adapter
 * (`metrics` option) for request metrics, and observe breakers, limiters and health checks.
 */

export type {
  Collect,
  Counter,
  Histogram,
  Instruments,
  MetricDef,
  OtelAttributes,
  OtelInstrumentOptions,
  OtelMeterLike,
  OtelObservable,
  OtelObservableResult,
  PromMetric,
  PromRegistryLike,
  PromSample,
} from './backends.js';
export type { MetricsCodeInfo, UsageError } from './errors.js';
export { metricsErrorCodes } from './errors.js';
export type {
  BreakerLike,
  BreakerRegistryLike,
  BreakerStatsLike,
  DecisionEventLike,
  HealthLike,
  HttpMetricsRecorder,
  LimiterLike,
  Metrics,
  MetricsOptions,
  RejectionReason,
} from './metrics.js';
export { createMetrics, METRICS_DEFAULTS } from './metrics.js';
