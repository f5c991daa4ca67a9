// The options every adapter shares, validated and normalised once; errors name the option.

import { compileTrust, type TrustProxy } from './client-ip.js';
import type {
  ContextRunner,
  CorsLike,
  DecisionLike,
  HeaderList,
  HealthLike,
  LoggerLike,
  RateLimiterLike,
  SecurityHeadersLike,
} from './contracts.js';
import { invalidOption } from './errors.js';
import type { CrossOriginGuardLike } from './guards.js';
import { PlanPolicy } from './header-plan.js';
import { randomId } from './ids.js';
import { compileIpFilter, type IpFilter, type IpFilterOptions } from './ip-filter.js';
import { type HttpMetricsLike, meteredLimiter, resolveMetrics } from './metrics.js';
import type { RateLimitHeaderFormat, ResolvedRate } from './rate-limit.js';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses `1048576`, `'1mb'`, `'512 KiB'` into bytes; throws naming the option on anything else. */
export function parseBytes(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
    if (m && unit !== undefined) return Math.floor(Number(m[1]) * unit);
  }
  throw invalidOption(RangeError, `${option} must be a byte count >= 0 or a string like '1mb', got ${show(value)}`);
}

/** Validates a positive duration in ms (finite, > 0, fits a timer). */
export function parseMs(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2 ** 31 - 1)
    throw invalidOption(RangeError, `${option} must be a number of milliseconds in (0, 2^31-1], got ${show(value)}`);
  return value;
}

/** Throws unless `value` is an object exposing every named method. */
export function requireMethods(value: unknown, option: string, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null)
    throw invalidOption(TypeError, `${option} must be an instance built by its @org package, got ${show(value)}`);
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function')
      throw invalidOption(TypeError, `${option} must have a ${m}() method (build it with its @org package)`);
  }
}

/** A short description of a bad option value for error messages (never the value of a function or object). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

/** Rate limiting as an adapter applies it. `K` is the framework's request/context type. */
export interface RateLimitSettings<K> {
  /** The limiter built with `rateLimiter()` / `rateLimiters()` of @org/ratelimit. */
  limiter: RateLimiterLike;
  /**
   * Key of a request. Default: the client address as the limiter keys it (`limiter.ipKey(ip)`: IPv6 grouped by the
   * limiter's `ipv6Prefix`), after `trustProxy`. Namespace your own keys (`user:${id}`) so they cannot collide with an
   * address.
   */
  key?: (ctx: K, ip: string) => string;
  /** Cost of a request. Default 1. */
  cost?: (ctx: K) => number;
  /** Requests for which this returns true are not counted. */
  skip?: (ctx: K) => boolean;
  /**
   * Header flavour. Default `'draft-11'` (`RateLimit-Policy` + `RateLimit`, one list member per policy);
   * `'legacy-window'` gives `X-RateLimit-Limit-Minute` / `X-RateLimit-Remaining-Minute` per policy of a
   * `rateLimiters()` group (names from each policy's name), the same output as `rateLimitHeaders()` of @org/ratelimit.
   */
  headers?: RateLimitHeaderFormat;
  /** Custom header builder, e.g. `(d) => rateLimitHeaders(d, { format: 'draft-6' })` from @org/ratelimit. */
  formatHeaders?: (decision: DecisionLike) => HeaderList | Readonly<Record<string, string>>;
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
  /** Answer 503 (see `timeoutStatus`) when a request takes longer than this; `false` disables. Default 30000. */
  timeoutMs?: number | false;
  /** The status of the timeout answer: 503 Service Unavailable (default) or 504 Gateway Timeout. */
  timeoutStatus?: 503 | 504;
  /**
   * IP allow / deny lists (CIDRs, addresses, `loopback` / `linklocal` / `uniquelocal`), checked on the client address
   * after `trustProxy` (the one the rate limiter keys by), before CORS, health and rate limiting: a refused address
   * gets 403 problem+json with code `ERR_IP_DENIED` and one warn log line.
   */
  ipFilter?: IpFilterOptions;
  /**
   * Cross-site request forgery guard: pass `crossOriginProtection({ trustedOrigins, exemptPaths })` from
   * @org/headers. Unsafe methods (not GET, HEAD, OPTIONS) that the browser marks cross-site (`Sec-Fetch-Site`, or an
   * `Origin` that is not this host) get 403 problem+json with code `ERR_CROSS_ORIGIN_REQUEST` and one warn log line.
   */
  csrf?: CrossOriginGuardLike;
  /**
   * Which proxies may set X-Forwarded-For. Default false (use the socket address). `true` trusts every hop: only
   * behind a proxy that replaces the header, since behind one that appends to it any client chooses its own address.
   */
  trustProxy?: TrustProxy;
  /**
   * Request metrics (duration by method, route template and status; in flight; rate-limit decisions; 413 and timeout
   * rejections): pass `createMetrics({ registry })` or `createMetrics({ meter })` from @org/metrics.
   */
  metrics?: HttpMetricsLike;
}

/** Normalised settings shared by the adapters. */
export interface Resolved<K> {
  /** What every response's header plan is made from. */
  policy: PlanPolicy;
  cors: CorsLike | undefined;
  rate: ResolvedRate<K> | undefined;
  logger: LoggerLike | undefined;
  health: HealthLike | undefined;
  healthPaths: ReadonlySet<string>;
  context: ContextRunner | undefined;
  /** Lower-case request id header name, or undefined when ids are off. */
  idHeader: string | undefined;
  /** Makes a request id; `randomId` unless the user gave one (then checked per id, see `checkedId`). */
  generateId: (() => string) | undefined;
  bodyLimit: number | undefined;
  timeoutMs: number | undefined;
  /** The status of the timeout answer. */
  timeoutStatus: 503 | 504;
  /** The compiled IP list, undefined when none is set. */
  ipFilter: IpFilter | undefined;
  /** The CSRF guard, undefined when none is set. */
  csrf: CrossOriginGuardLike | undefined;
  /** Whether a hop may set X-Forwarded-For (compiled `trustProxy`). */
  trust: (addr: string, hop: number) => boolean;
  /** The request metrics recorder, or undefined when metrics are off (then `rate.limiter` is the user's own). */
  metrics: HttpMetricsLike | undefined;
}

const RATE_FORMATS: readonly string[] = [
  'draft-11',
  'draft-10',
  'draft-7',
  'draft-6',
  'legacy',
  'legacy-window',
  'none',
];

const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]+$/;

/** Validates and normalises the common options once; errors name the option (`<adapter>: <option> ...`). */
export function resolveOptions<K>(opts: CommonOptions<K>, adapter: string): Resolved<K> {
  if (typeof opts !== 'object' || opts === null)
    throw invalidOption(TypeError, `${adapter}: options must be an object, got ${show(opts)}`);
  const headers = opts.headers;
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || !Array.isArray(headers.entries))
      throw invalidOption(
        TypeError,
        `${adapter}: headers must be built with securityHeaders() from @org/headers, got ${show(headers)}`,
      );
  }
  if (opts.cors !== undefined) requireMethods(opts.cors, `${adapter}: cors`, ['handle']);
  let rate: RateLimitSettings<K> | undefined;
  if (opts.rateLimit !== undefined) {
    const r = opts.rateLimit as Partial<RateLimitSettings<K>> & Partial<RateLimiterLike> & { ipv6Prefix?: unknown };
    rate = typeof r.consume === 'function' ? { limiter: r as RateLimiterLike } : (r as RateLimitSettings<K>);
    requireMethods(rate.limiter, `${adapter}: rateLimit.limiter`, ['consume']);
    for (const f of ['key', 'cost', 'skip', 'formatHeaders'] as const) {
      if (rate[f] !== undefined && typeof rate[f] !== 'function')
        throw invalidOption(TypeError, `${adapter}: rateLimit.${f} must be a function, got ${show(rate[f])}`);
    }
    if (rate.headers !== undefined && !RATE_FORMATS.includes(rate.headers))
      throw invalidOption(
        RangeError,
        `${adapter}: rateLimit.headers must be one of ${RATE_FORMATS.map((f) => `'${f}'`).join(', ')}, got ${show(rate.headers)}`,
      );
    if ((rate as { ipv6Prefix?: unknown }).ipv6Prefix !== undefined)
      throw invalidOption(
        TypeError,
        `${adapter}: rateLimit.ipv6Prefix is the limiter's option now: rateLimiter({ ..., ipv6Prefix }) from @org/ratelimit`,
      );
    if (rate.key === undefined && typeof rate.limiter.ipKey !== 'function')
      throw invalidOption(
        TypeError,
        `${adapter}: rateLimit.limiter has no ipKey() to key clients by address (build it with rateLimiter() from @org/ratelimit), or pass rateLimit.key`,
      );
  }
  if (opts.logger !== undefined) requireMethods(opts.logger, `${adapter}: logger`, ['info', 'warn', 'error']);
  if (opts.health !== undefined) requireMethods(opts.health, `${adapter}: health`, ['route']);
  const healthPaths = new Set<string>(opts.health ? Object.values(opts.health.paths ?? {}) : []);
  if (opts.context !== undefined && typeof opts.context !== 'function')
    throw invalidOption(
      TypeError,
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
      throw invalidOption(TypeError, `${adapter}: requestId must be false or an object, got ${show(r)}`);
    if (r.header !== undefined) {
      if (typeof r.header !== 'string' || !/^[A-Za-z0-9-]+$/.test(r.header))
        throw invalidOption(TypeError, `${adapter}: requestId.header must be a header name, got ${show(r.header)}`);
      idHeader = r.header.toLowerCase();
    }
    if (r.generate !== undefined) {
      if (typeof r.generate !== 'function')
        throw invalidOption(TypeError, `${adapter}: requestId.generate must be a function, got ${show(r.generate)}`);
      const generate = r.generate;
      generateId = () => {
        const id = generate();
        if (typeof id !== 'string' || !HEADER_VALUE.test(id))
          throw invalidOption(
            TypeError,
            `${adapter}: requestId.generate must return a non-empty header-safe string, got ${show(id)}`,
          );
        return id;
      };
    }
  }
  if (opts.responseTime !== undefined && typeof opts.responseTime !== 'boolean')
    throw invalidOption(TypeError, `${adapter}: responseTime must be a boolean, got ${show(opts.responseTime)}`);
  const bodyLimit = opts.bodyLimit === false ? undefined : parseBytes(opts.bodyLimit ?? '1mb', `${adapter}: bodyLimit`);
  const timeoutMs = opts.timeoutMs === false ? undefined : parseMs(opts.timeoutMs ?? 30_000, `${adapter}: timeoutMs`);
  const timeoutStatus = opts.timeoutStatus === undefined ? 503 : opts.timeoutStatus;
  if (timeoutStatus !== 503 && timeoutStatus !== 504)
    throw invalidOption(RangeError, `${adapter}: timeoutStatus must be 503 or 504, got ${show(timeoutStatus)}`);
  if (
    opts.csrf !== undefined &&
    (typeof opts.csrf !== 'object' || opts.csrf === null || typeof opts.csrf.check !== 'function')
  )
    throw invalidOption(
      TypeError,
      `${adapter}: csrf must be built with crossOriginProtection() from @org/headers, got ${show(opts.csrf)}`,
    );
  const metrics = resolveMetrics(opts.metrics, adapter);
  const policy = new PlanPolicy({
    headers,
    useNonce: headers !== undefined && typeof headers.forRequest === 'function' && headers.nonce !== false,
    responseTime: opts.responseTime ?? true,
    rateFormat: rate?.headers ?? 'draft-11',
    formatHeaders: rate?.formatHeaders,
  });
  return {
    policy,
    cors: opts.cors,
    rate:
      rate === undefined
        ? undefined
        : {
            limiter: metrics === undefined ? rate.limiter : meteredLimiter(rate.limiter, metrics),
            key: rate.key,
            cost: rate.cost,
            skip: rate.skip,
          },
    logger: opts.logger,
    health: opts.health,
    healthPaths,
    context: opts.context,
    idHeader,
    generateId,
    bodyLimit,
    timeoutMs,
    timeoutStatus,
    ipFilter: compileIpFilter(opts.ipFilter, `${adapter}: ipFilter`),
    csrf: opts.csrf,
    trust: compileTrust(opts.trustProxy, `${adapter}: trustProxy`),
    metrics,
  };
}
