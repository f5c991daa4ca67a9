/**
 * @org/express — Express middleware for the @org hardening packages.
 *
 * Build instances with the core packages (@org/headers, @org/ratelimit, @org/logger, @org/health) and hand them to
 * {@link hardening}; this package only imports their types.
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
export type {
  ErrorHandlerOptions,
  ExpressHardeningOptions,
  HardeningLocals,
  HardeningMiddleware,
} from './middleware.js';
export { errorHandler, hardening, notFound, sendProblem } from './middleware.js';
