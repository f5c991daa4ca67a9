/**
 * @org/health — health probes with Kubernetes semantics (liveness, readiness, startup) answering in
 * application/health+json (draft-inadarei-api-health-check-06). Runtime-agnostic: Node-only checks and graceful
 * shutdown live in `@org/health/node`.
 */

export type { ErrorCodeInfo, HealthErrorCode, UsageError } from './errors.js';
export { HealthError, healthErrorCodes, isHealthError } from './errors.js';
export type { FetchHandlerOptions, Health } from './health.js';
export { createHealth, HEALTH_DEFAULTS, HEALTH_MEDIA_TYPE } from './health.js';
export type { PingCheckOptions } from './ping.js';
export { pingCheck } from './ping.js';
export type {
  CheckDefinition,
  CheckOutcome,
  CheckResult,
  CheckReturn,
  HealthDocument,
  HealthEvents,
  HealthOptions,
  HealthStatus,
  ProbeName,
  ProbeOptions,
  ProbePaths,
  ProbeRequest,
  ProbeResponse,
  ProbeTarget,
  ServiceInfo,
  VerbosePolicy,
} from './types.js';
