// Structural contracts of the core-package instances an adapter accepts. Adapters never import a core package at
// run time: the user builds instances with @org/headers, @org/ratelimit, @org/logger and @org/health and hands them
// over. These interfaces name only what the adapter calls, so any compatible instance fits; the conformance suite
// type-checks that the real instances satisfy them. One source, bundled into each adapter.

import type { DecisionLike, RateLimitHeaderFormat, TrustProxy } from './common.js';
import { now, parseBytes, parseMs, randomId, requireMethods, show } from './common.js';

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
}

const asyncOnly = new WeakSet<object>();

/**
 * One rate-limit decision: synchronous through `consumeSync()` when the limiter's store allows it, else the promise
 * of `consume()`. Any other error of `consumeSync()` goes through `consume()` so the limiter's failure mode (allow,
 * deny, throw) applies as usual.
 */
export function decide(
  limiter: RateLimiterLike,
  key: string,
  opts: { cost?: number } | undefined,
): DecisionLike | Promise<DecisionLike> {
  if (typeof limiter.consumeSync === 'function' && !asyncOnly.has(limiter)) {
    try {
      return limiter.consumeSync(key, opts);
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === 'ERR_SYNC_STORE') asyncOnly.add(limiter);
    }
  }
  return limiter.consume(key, opts);
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

const REQUEST_KEYS = ['requestId', 'method', 'path', 'status', 'durationMs', 'ip', 'aborted'] as const;
const REQUEST_MSG = 'request completed';
/** The request line's prepared record per logger (null: the logger has none); the last one is kept at hand. */
const prepared = new WeakMap<LoggerLike, PreparedRecordLike | null>();
let lastLogger: LoggerLike | null = null;
let lastRecord: PreparedRecordLike | null = null;

function requestRecord(logger: LoggerLike): PreparedRecordLike | null {
  if (logger === lastLogger) return lastRecord;
  let r = prepared.get(logger);
  if (r === undefined) {
    r = typeof logger.prepare === 'function' ? logger.prepare(REQUEST_KEYS, REQUEST_MSG) : null;
    prepared.set(logger, r);
  }
  lastLogger = logger;
  lastRecord = r;
  return r;
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

/**
 * Writes a request's access line, `request completed` with `requestId, method, path, status, durationMs, ip` (and
 * `aborted: true` when the response did not finish), at the level its status calls for: error for 5xx, warn for 4xx,
 * info otherwise. `t0` is the request's start (performance.now() ms).
 */
export function logRequest(
  logger: LoggerLike,
  requestId: string | undefined,
  method: string | undefined,
  path: string,
  status: number,
  t0: number,
  ip: string,
  aborted: boolean,
): void {
  const d = Math.round((now() - t0) * 1000) / 1000;
  const rec = requestRecord(logger);
  if (rec !== null) {
    // the same line, without a fields object (measured in a Fastify server under load, see @org/logger's prepare)
    const ab = aborted ? true : undefined;
    if (status >= 500) rec.error(requestId, method, path, status, d, ip, ab);
    else if (status >= 400) rec.warn(requestId, method, path, status, d, ip, ab);
    else rec.info(requestId, method, path, status, d, ip, ab);
    return;
  }
  const fields: Record<string, unknown> = {
    requestId,
    method,
    path,
    status,
    durationMs: d,
    ip,
  };
  if (aborted) fields.aborted = true;
  if (status >= 500) logger.error(fields, REQUEST_MSG);
  else if (status >= 400) logger.warn(fields, REQUEST_MSG);
  else logger.info(fields, REQUEST_MSG);
}

/** Runs `fn` with `fields` in the logger's async context: pass `withContext` from @org/logger. */
export type ContextRunner = <R>(fields: Record<string, unknown>, fn: () => R) => R;

/** Rate limiting as an adapter applies it. `K` is the framework's request/context type. */
export interface RateLimitSettings<K> {
  /** The limiter built with `rateLimiter()` / `rateLimiters()` of @org/ratelimit. */
  limiter: RateLimiterLike;
  /** Key of a request. Default: the client IP (IPv6 grouped by `ipv6Prefix`), see `trustProxy`. */
  key?: (ctx: K, ip: string) => string;
  /** Cost of a request. Default 1. */
  cost?: (ctx: K) => number;
  /** Requests for which this returns true are not counted. */
  skip?: (ctx: K) => boolean;
  /** Header flavour. Default `'draft-10'`. */
  headers?: RateLimitHeaderFormat;
  /** Custom header builder, e.g. `(d) => rateLimitHeaders(d, { format: 'draft-6' })` from @org/ratelimit. */
  formatHeaders?: (decision: DecisionLike) => HeaderList | Readonly<Record<string, string>>;
  /** IPv6 prefix for the default key. Default 56. */
  ipv6Prefix?: number;
}

/** Options shared by every adapter's all-in-one entry point. */
export interface CommonOptions<K> {
  /** Security headers built with `securityHeaders()` from @org/headers. */
  headers?: SecurityHeadersLike;
  /** CORS built with `cors()` from @org/headers. */
  cors?: CorsLike;
  /** A limiter from @org/ratelimit, or settings around one. */
  rateLimit?: RateLimiterLike | RateLimitSettings<K>;
  /** Logger for the one-line-per-request access log and unexpected errors. */
  logger?: LoggerLike;
  /** Health instance from @org/health; mounts the health routes. */
  health?: HealthLike;
  /** Runs the rest of the request inside the logger's async context with `{ requestId }`: pass `withContext` from @org/logger. */
  context?: ContextRunner;
  /** Request id: header name, generator; `false` disables it. Default header `x-request-id`, UUIDv4. */
  requestId?: false | { header?: string; generate?: () => string };
  /** Adds X-Response-Time. Default true. */
  responseTime?: boolean;
  /** Maximum request body size (bytes or '1mb'); `false` disables. Default '1mb'. */
  bodyLimit?: number | string | false;
  /** Answer 503 when a request takes longer than this; `false` disables. Default 30000. */
  timeoutMs?: number | false;
  /** Which proxies may set X-Forwarded-For. Default false (use the socket address). */
  trustProxy?: TrustProxy;
}

/** Normalised settings shared by the adapters. */
export interface Resolved<K> {
  headers: SecurityHeadersLike | undefined;
  useNonce: boolean;
  cors: CorsLike | undefined;
  rate: Required<Pick<RateLimitSettings<K>, 'limiter' | 'headers' | 'ipv6Prefix'>> & RateLimitSettings<K>;
  hasRate: boolean;
  logger: LoggerLike | undefined;
  health: HealthLike | undefined;
  healthPaths: Set<string>;
  context: ContextRunner | undefined;
  idHeader: string | undefined;
  generateId: (() => string) | undefined;
  responseTime: boolean;
  bodyLimit: number | undefined;
  timeoutMs: number | undefined;
}

/** Validates and normalises the common options once; errors name the option (`<adapter>: <option> ...`). */
export function resolveOptions<K>(opts: CommonOptions<K>, adapter: string): Resolved<K> {
  if (typeof opts !== 'object' || opts === null)
    throw new TypeError(`${adapter}: options must be an object, got ${show(opts)}`);
  const headers = opts.headers;
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || !Array.isArray(headers.entries))
      throw new TypeError(
        `${adapter}: headers must be built with securityHeaders() from @org/headers, got ${show(headers)}`,
      );
  }
  if (opts.cors !== undefined) requireMethods(opts.cors, `${adapter}: cors`, ['handle']);
  let rate: RateLimitSettings<K> | undefined;
  if (opts.rateLimit !== undefined) {
    const r = opts.rateLimit as Partial<RateLimitSettings<K>> & Partial<RateLimiterLike>;
    rate = typeof r.consume === 'function' ? { limiter: r as RateLimiterLike } : (r as RateLimitSettings<K>);
    requireMethods(rate.limiter, `${adapter}: rateLimit.limiter`, ['consume']);
    for (const f of ['key', 'cost', 'skip', 'formatHeaders'] as const) {
      if (rate[f] !== undefined && typeof rate[f] !== 'function')
        throw new TypeError(`${adapter}: rateLimit.${f} must be a function, got ${show(rate[f])}`);
    }
    if (rate.headers !== undefined && !['draft-10', 'draft-7', 'draft-6', 'legacy', 'none'].includes(rate.headers))
      throw new RangeError(
        `${adapter}: rateLimit.headers must be 'draft-10', 'draft-7', 'draft-6', 'legacy' or 'none', got ${show(rate.headers)}`,
      );
    const p = rate.ipv6Prefix;
    if (p !== undefined && (!Number.isInteger(p) || p < 1 || p > 128))
      throw new RangeError(`${adapter}: rateLimit.ipv6Prefix must be an integer in [1, 128], got ${show(p)}`);
  }
  if (opts.logger !== undefined) requireMethods(opts.logger, `${adapter}: logger`, ['info', 'warn', 'error']);
  if (opts.health !== undefined)
    requireMethods(opts.health, `${adapter}: health`, ['liveness', 'readiness', 'startup']);
  if (opts.health !== undefined) requireMethods(opts.health, `${adapter}: health`, ['route']);
  const healthPaths = new Set<string>(opts.health ? Object.values(opts.health.paths ?? {}) : []);
  if (opts.context !== undefined && typeof opts.context !== 'function')
    throw new TypeError(
      `${adapter}: context must be a function (withContext from @org/logger), got ${show(opts.context)}`,
    );
  let idHeader: string | undefined = 'x-request-id';
  let generateId: (() => string) | undefined = randomId;
  if (opts.requestId === false) {
    idHeader = undefined;
    generateId = undefined;
  } else if (opts.requestId !== undefined) {
    const r = opts.requestId;
    if (typeof r !== 'object' || r === null)
      throw new TypeError(`${adapter}: requestId must be false or an object, got ${show(r)}`);
    if (r.header !== undefined) {
      if (typeof r.header !== 'string' || !/^[A-Za-z0-9-]+$/.test(r.header))
        throw new TypeError(`${adapter}: requestId.header must be a header name, got ${show(r.header)}`);
      idHeader = r.header.toLowerCase();
    }
    if (r.generate !== undefined) {
      if (typeof r.generate !== 'function')
        throw new TypeError(`${adapter}: requestId.generate must be a function, got ${show(r.generate)}`);
      generateId = r.generate;
    }
  }
  if (opts.responseTime !== undefined && typeof opts.responseTime !== 'boolean')
    throw new TypeError(`${adapter}: responseTime must be a boolean, got ${show(opts.responseTime)}`);
  const bodyLimit = opts.bodyLimit === false ? undefined : parseBytes(opts.bodyLimit ?? '1mb', `${adapter}: bodyLimit`);
  const timeoutMs = opts.timeoutMs === false ? undefined : parseMs(opts.timeoutMs ?? 30_000, `${adapter}: timeoutMs`);
  const limiter = rate?.limiter;
  return {
    headers,
    useNonce: headers !== undefined && typeof headers.forRequest === 'function' && headers.nonce !== false,
    cors: opts.cors,
    rate: { headers: 'draft-10', ipv6Prefix: 56, ...rate, limiter: limiter as RateLimiterLike },
    hasRate: rate !== undefined,
    logger: opts.logger,
    health: opts.health,
    healthPaths,
    context: opts.context,
    idHeader,
    generateId,
    responseTime: opts.responseTime ?? true,
    bodyLimit,
    timeoutMs,
  };
}
