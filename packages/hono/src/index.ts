/**
 * @org/hono — Hono middleware for the @org hardening packages.
 *
 * Build instances with the core packages (@org/headers, @org/ratelimit, @org/logger, @org/health) and hand them to
 * {@link hardening}; this package only imports their types. No `node:` import: it runs wherever Hono runs.
 */

export type { TrustProxy } from '@org/adapter-kit/client-ip';
export { clientIp } from '@org/adapter-kit/client-ip';
export type {
  ContextRunner,
  CorsLike,
  CorsRequestLike,
  CorsResultLike,
  DecisionLike,
  HeaderList,
  HealthLike,
  LoggerLike,
  ProbeResponseLike,
  RateLimiterLike,
  SecurityHeadersLike,
} from '@org/adapter-kit/contracts';
export type { AdapterCodeInfo, AdapterErrorCode } from '@org/adapter-kit/errors';
export { AdapterError, adapterErrorCodes, isAdapterError } from '@org/adapter-kit/errors';
export type { CrossOriginGuardLike, CrossOriginRequestLike } from '@org/adapter-kit/guards';
export { REQUEST_ID_PATTERN } from '@org/adapter-kit/ids';
export type { IpFilterOptions, IpRange } from '@org/adapter-kit/ip-filter';
export type { HttpMetricsLike } from '@org/adapter-kit/metrics';
export type { CommonOptions, RateLimitSettings } from '@org/adapter-kit/options';
export type { ProblemDetails, ProblemResponse } from '@org/adapter-kit/problems';
export { problemForError, STATUS_TITLES } from '@org/adapter-kit/problems';
export type { RateLimitHeaderFormat } from '@org/adapter-kit/rate-limit';
export type {
  OutputOf,
  Validated,
  ValidationIssue,
  ValidationPart,
  ValidationSchemas,
} from '@org/adapter-kit/validate';
export { ERR_VALIDATION, VALIDATION_LIMITS } from '@org/adapter-kit/validate';
export type {
  HardeningEnv,
  HardeningVariables,
  HonoHardeningOptions,
  IpFilterSettings,
  ProblemHandlerOptions,
} from './middleware.js';
export { hardening, ipFilter, notFoundHandler, problemHandler, problemResponse, timeoutSignal } from './middleware.js';
export type { HonoTargetOf, ValidInput } from './validate.js';
export { validate } from './validate.js';
