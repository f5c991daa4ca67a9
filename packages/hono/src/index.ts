/**
 * @org/hono — Hono middleware for the @org hardening packages.
 *
 * Build instances with the core packages (@org/headers, @org/ratelimit, @org/logger, @org/health) and hand them to
 * {@link hardening}; this package only imports their types. No `node:` import: it runs wherever Hono runs.
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
export type { HardeningEnv, HardeningVariables, HonoHardeningOptions, ProblemHandlerOptions } from './middleware.js';
export { hardening, notFoundHandler, problemHandler, problemResponse, timeoutSignal } from './middleware.js';
