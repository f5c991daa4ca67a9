/**
 * @org/fastify — Fastify plugin for the @org hardening packages.
 *
 * Build instances with the core packages (@org/headers, @org/ratelimit, @org/logger, @org/health) and register
 * {@link hardening} with them; this package only imports their types.
 */

export type {
  DecisionLike,
  ProblemDetails,
  ProblemResponse,
  RateLimitHeaderFormat,
  TrustProxy,
} from '@org/adapter-kit/common';
export {
  AdapterError,
  clientIp,
  isAdapterError,
  problemForError,
  REQUEST_ID_PATTERN,
  STATUS_TITLES,
} from '@org/adapter-kit/common';
export type {
  CommonOptions,
  ContextRunner,
  CorsLike,
  CorsRequestLike,
  CorsResultLike,
  HeaderList,
  HealthLike,
  LoggerLike,
  ProbeResponseLike,
  RateLimiterLike,
  RateLimitSettings,
  SecurityHeadersLike,
} from '@org/adapter-kit/contracts';
export type { FastifyHardeningOptions } from './plugin.js';
export { hardening, hardening as default, problemErrorHandler, sendProblem } from './plugin.js';
