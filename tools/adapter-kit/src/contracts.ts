// Structural contracts of the core-package instances an adapter accepts. Adapters never import a core package at
// run time: the user builds instances with @org/headers, @org/ratelimit, @org/logger and @org/health and hands them
// over. These interfaces name only what the adapter calls, so any compatible instance fits; the conformance suite
// type-checks that the real instances satisfy them. Types only.

/** A header list as the core packages produce it. */
export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** What `securityHeaders()` from @org/headers returns (the parts the adapter uses). */
export interface SecurityHeadersLike {
  /** Frozen `[name, value]` pairs applied to every response. */
  readonly entries: HeaderList;
  /** The header list for one request with a CSP nonce; present when the policy uses nonces. */
  forRequest?(ctx: { nonce: string }): HeaderList;
  /** Headers to strip from responses (X-Powered-By, Server, ...). */
  readonly remove?: readonly string[];
  /** True when the CSP uses per-request nonces. When absent, a nonce is used if `forRequest` exists. */
  readonly nonce?: boolean;
}

/** The request fields `cors().handle()` from @org/headers reads. */
export interface CorsRequestLike {
  method: string;
  origin?: string | null | undefined;
  accessControlRequestMethod?: string | null | undefined;
  accessControlRequestHeaders?: string | null | undefined;
}

/** What `cors().handle()` returns (the parts the adapter uses). */
export interface CorsResultLike {
  /** True for an OPTIONS request with Access-Control-Request-Method: answer it directly. */
  readonly preflight: boolean;
  /** Whether the origin is allowed. */
  readonly allowed: boolean;
  /** Status for a preflight answer (usually 204). */
  readonly status: number;
  /** Headers to set. */
  readonly headers: HeaderList;
  /** Vary tokens to merge into the response's Vary header. */
  readonly vary: readonly string[];
}

/** What `cors()` from @org/headers returns (the parts the adapter uses). */
export interface CorsLike {
  /** Decides one request; a promise when the origin is checked by an async function. */
  handle(req: CorsRequestLike): CorsResultLike | Promise<CorsResultLike>;
}

/** What `rateLimiter()` from @org/ratelimit returns (the parts the adapter uses). */
export interface RateLimiterLike {
  consume(key: string, opts?: { cost?: number }): Promise<DecisionLike> | DecisionLike;
  /**
   * The synchronous form (a memory store): used when present, which saves a promise and a microtask per request.
   * Throws `ERR_SYNC_STORE` on an asynchronous store; the adapter then uses `consume()` for good.
   */
  consumeSync?(key: string, opts?: { cost?: number }): DecisionLike;
  /**
   * The limiter's key for a client address (@org/ratelimit: IPv6 grouped by the limiter's `ipv6Prefix`, the same
   * output as its exported `ipKey`), so `limiter.reset(ipKey(ip))` finds the bucket the adapter used.
   */
  ipKey?(ip: string): string;
}

/** The fields of a rate-limit decision the adapters read (what @org/ratelimit's `consume()` resolves to). */
export interface DecisionLike {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /** Policy name (RateLimit-Policy). Default `default`. */
  name?: string;
  /** Policy window in ms (RateLimit-Policy `w=`). */
  windowMs?: number;
  /** Every policy's own decision, for groups of policies. */
  policies?: readonly DecisionLike[];
  /** What the policy's limit counts (draft-11 `qu`); absent or `requests` sends none. */
  quotaUnit?: string;
}

/** A structured logger such as `createLogger()` from @org/logger (pino-style `(fields, msg)` calls). */
export interface LoggerLike {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  child?(bindings: Record<string, unknown>): LoggerLike;
  /** @org/logger's prepared records (fixed keys, positional values): used for the request line when present. */
  prepare?(keys: readonly string[], msg?: string): PreparedRecordLike;
}

/** What `log.prepare()` of @org/logger returns (the levels the request line uses). */
export interface PreparedRecordLike {
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
}

/** A probe answer of @org/health (`health.route()`), already serialised. */
export interface ProbeResponseLike {
  readonly httpStatus: number;
  /** Content-Type (application/health+json), Cache-Control, ... */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON document as text. */
  readonly body: string;
}

/** What `createHealth()` from @org/health returns (the parts the adapter uses). */
export interface HealthLike {
  /** Answers a health path (liveness, readiness, startup, health) or returns null for any other URL. */
  route(method: string, url: string, header?: (name: string) => string | undefined): Promise<ProbeResponseLike> | null;
  /** The probe paths, e.g. `/livez`, `/readyz`, `/startupz`, `/health`. */
  readonly paths: Readonly<{ liveness: string; readiness: string; startup: string; health: string }>;
}

/** Runs `fn` with `fields` in the logger's async context: pass `withContext` from @org/logger. */
export type ContextRunner = <R>(fields: Record<string, unknown>, fn: () => R) => R;
