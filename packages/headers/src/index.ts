/**
 * @org/headers — security headers and CORS, compiled once at start-up to frozen header lists, near-free per request.
 *
 * - `securityHeaders(opts)`: helmet / OWASP / API presets, typed CSP (nonces, hashes, report-only), Permissions-Policy,
 *   Reporting-Endpoints, Integrity-Policy, Document-Isolation-Policy, a removal list; `.entries`, `.forRequest({ nonce })`, `.apply(res)`, `.extend()`.
 * - `cors(opts)`: `.handle(req)` → `{ preflight, allowed, status, headers, vary }`; `appendVary()` merges Vary.
 * - `crossOriginProtection(opts)`: `.check(req)` refuses cross-site unsafe requests (Go 1.25's CrossOriginProtection).
 */

export type { Cors, CorsOptions, CorsOrigin, CorsOriginFn, CorsRequest, CorsResult } from './cors.js';
export { appendVary, cors } from './cors.js';
export type {
  CrossOriginDecision,
  CrossOriginDenyReason,
  CrossOriginProtection,
  CrossOriginProtectionOptions,
  CrossOriginRequest,
} from './csrf.js';
export { crossOriginProtection } from './csrf.js';
export type { ErrorCodeInfo, HeadersErrorCode, UsageError } from './errors.js';
export { HeadersError, headersErrorCodes, isHeadersError } from './errors.js';
export type {
  CspDirectiveName,
  CspDirectives,
  CspKeyword,
  CspOptions,
  CspSandboxToken,
  CspSource,
  CspSourceList,
} from './internal/csp.js';
export type { PermissionsAllowlist } from './internal/fields.js';
export type {
  DocumentIsolationPolicyOptions,
  DocumentIsolationPolicyValue,
  IntegrityPolicyDestination,
  IntegrityPolicyOptions,
} from './internal/integrity-isolation.js';
export type { CspHashAlgorithm } from './nonce.js';
export { cspHash, generateNonce, isValidNonce } from './nonce.js';
export type { HstsOptions, ReferrerPolicyToken, ResolvedConfig, SecurityPreset } from './presets.js';
export { PERMISSIONS_DENY_ALL, PRESETS } from './presets.js';
export type {
  ClearSiteDataType,
  FetchHeadersTarget,
  HeaderEntry,
  HeaderTarget,
  SecurityHeaders,
  SecurityHeadersOptions,
} from './security-headers.js';
export { clearSiteData, securityHeaders } from './security-headers.js';
