// createMetrics(): the HTTP recorder the adapters call, and observers of the core packages' own state (breakers,
// breaker registries, limiters, health checks), all typed structurally: no @org package is imported.

import {
  type Counter,
  type Histogram,
  type Instruments,
  type MetricDef,
  type OtelMeterLike,
  otelInstruments,
  type PromRegistryLike,
  promInstruments,
} from './backends.js';
import { invalidArgument, invalidOption } from './errors.js';

/** Where the metrics go: a prom-client `Registry` or an OpenTelemetry `Meter` (exactly one). */
export type MetricsOptions = (
  | {
      /** A prom-client `Registry` (`new Registry()` or `register`); scrape it with `registry.metrics()`. */
      registry: PromRegistryLike;
      meter?: undefined;
    }
  | {
      /** An OpenTelemetry `Meter` (`metrics.getMeter('my-service')` from `@opentelemetry/api`). */
      meter: OtelMeterLike;
      registry?: undefined;
    }
) & {
  /** Upper bounds (seconds) of the request duration buckets. Default {@link METRICS_DEFAULTS}`.buckets`. */
  buckets?: readonly number[];
  /** Route label of a request that matched no route (or was answered before routing). Default `'unmatched'`. */
  unmatchedRoute?: string;
};

/** Defaults of {@link createMetrics}. */
export const METRICS_DEFAULTS: Readonly<{ buckets: readonly number[]; unmatchedRoute: string }> = Object.freeze({
  // OpenTelemetry's advice for http.server.request.duration (semantic conventions 1.23+)
  buckets: Object.freeze([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]),
  unmatchedRoute: 'unmatched',
});

/** Why an adapter refused a request before the route answered. */
export type RejectionReason = 'body_limit' | 'timeout';

/**
 * What the adapters (@org/express, @org/fastify, @org/hono) call, through their `metrics` option. {@link Metrics}
 * implements it; implement it yourself to feed another system.
 */
export interface HttpMetricsRecorder {
  /** Route label for a request with no route template. */
  readonly unmatchedRoute: string;
  /** A request arrived: in-flight + 1. */
  requestStarted(method: string): void;
  /** A request ended (answered or abandoned): in-flight - 1 and one duration observation. */
  requestEnded(method: string, route: string, status: number, durationMs: number): void;
  /** A rate-limit decision the adapter took. */
  rateLimit(allowed: boolean): void;
  /** A request the adapter refused: 413 (body over the limit) or its timeout answer. */
  rejected(reason: RejectionReason): void;
}

/** The parts of a breaker's `stats()` read (@org/breaker `BreakerStats`). */
export interface BreakerStatsLike {
  state: string;
  totalSuccesses: number;
  totalFailures: number;
  totalTimeouts: number;
  totalRejections: number;
  totalIgnored: number;
}

/** What `circuitBreaker()` of @org/breaker returns (the parts read). */
export interface BreakerLike {
  /** Its name: the `breaker` label. */
  readonly name: string;
  stats(): BreakerStatsLike;
}

/** What `breakerRegistry()` of @org/breaker returns (the parts read). */
export interface BreakerRegistryLike {
  stats(): { breakers: Record<string, BreakerStatsLike> };
}

/** A decision as a limiter's `decision` event carries it (@org/ratelimit `RateLimitDecision`). */
export interface DecisionEventLike {
  allowed: boolean;
  /** Policy name (the deciding policy of a group). */
  name: string;
  /** `store`, `deny-cache` or `store-error`. */
  source: string;
}

/** What `rateLimiter()` / `rateLimiters()` of @org/ratelimit return (the parts read). */
export interface LimiterLike {
  on(event: 'decision', listener: (d: DecisionEventLike) => void): () => void;
}

/** What `createHealth()` of @org/health returns (the parts read). */
export interface HealthLike {
  /** Each check's last status by name; runs no check. */
  statuses(): Record<string, 'pass' | 'warn' | 'fail'>;
}

/** Metrics for one service, made by {@link createMetrics}. Pass it to an adapter as `metrics`. */
export interface Metrics extends HttpMetricsRecorder {
  /**
   * Reports a breaker's state (`circuit_breaker_state`, one series per state, 1 for the current one) and its calls
   * by outcome (`circuit_breaker_calls_total`), read from `stats()` at each scrape: nothing is added to its calls.
   * Returns a function that stops reporting it.
   */
  observeBreaker(breaker: BreakerLike): () => void;
  /** The same for every breaker of a `breakerRegistry()`, present and future. Returns a function that stops it. */
  observeBreakers(registry: BreakerRegistryLike): () => void;
  /** Counts a limiter's decisions (`ratelimit_decisions_total` by policy, decision and source). Returns the unsubscribe function. */
  observeLimiter(limiter: LimiterLike): () => void;
  /**
   * Reports each health check's last status (`health_check_status`, 1 for the current one), read from `statuses()` at
   * each scrape: no check is run for it, a check that has not run yet is absent, an unregistered one disappears.
   * Returns a function that stops reporting it.
   */
  observeHealth(health: HealthLike): () => void;
}

const def = (
  prom: string,
  otel: string,
  help: string,
  unit: string,
  labels: readonly (readonly [string, string])[],
): MetricDef => ({ prom, otel, help, unit, labels: labels.map((l) => l[0]), attrs: labels.map((l) => l[1]) });

/** Every metric this package reports: Prometheus name, OpenTelemetry name (HTTP ones per the semantic conventions). */
const DEFS = {
  duration: def(
    'http_server_request_duration_seconds',
    'http.server.request.duration',
    'Duration of HTTP server requests, by method, route template and status.',
    's',
    [
      ['method', 'http.request.method'],
      ['route', 'http.route'],
      ['status', 'http.response.status_code'],
    ],
  ),
  active: def(
    'http_server_active_requests',
    'http.server.active_requests',
    'HTTP server requests in flight.',
    '{request}',
    [['method', 'http.request.method']],
  ),
  rate: def(
    'http_server_rate_limit_decisions_total',
    'http.server.rate_limit.decisions',
    'Rate-limit decisions taken by the HTTP adapter.',
    '{decision}',
    [['decision', 'decision']],
  ),
  rejected: def(
    'http_server_rejections_total',
    'http.server.rejections',
    'Requests refused by the HTTP adapter: body over the limit (413) or timeout.',
    '{request}',
    [['reason', 'reason']],
  ),
  breakerState: def(
    'circuit_breaker_state',
    'circuit_breaker.state',
    'Circuit breaker state: 1 for the current state, 0 for the others.',
    '1',
    [
      ['breaker', 'breaker'],
      ['state', 'state'],
    ],
  ),
  breakerCalls: def(
    'circuit_breaker_calls_total',
    'circuit_breaker.calls',
    'Calls through a circuit breaker by outcome.',
    '{call}',
    [
      ['breaker', 'breaker'],
      ['outcome', 'outcome'],
    ],
  ),
  limiter: def(
    'ratelimit_decisions_total',
    'ratelimit.decisions',
    'Rate limiter decisions by policy, decision and source.',
    '{decision}',
    [
      ['policy', 'policy'],
      ['decision', 'decision'],
      ['source', 'source'],
    ],
  ),
  health: def(
    'health_check_status',
    'health.check.status',
    'Health check status: 1 for the last status of the check, 0 for the others.',
    '1',
    [
      ['check', 'check'],
      ['status', 'status'],
    ],
  ),
} as const;

const STATES = ['closed', 'open', 'half-open', 'isolated'] as const;
const HEALTH = ['pass', 'warn', 'fail'] as const;
const OUTCOMES = [
  ['success', 'totalSuccesses'],
  ['failure', 'totalFailures'],
  ['timeout', 'totalTimeouts'],
  ['rejected', 'totalRejections'],
  ['ignored', 'totalIgnored'],
] as const;

// Request methods are client input: anything outside the registered methods is one label, `_OTHER` (as OpenTelemetry's
// semantic conventions say), so a client cannot create series.
const METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);
const methodLabel = (m: string): string => (METHODS.has(m) ? m : '_OTHER');
const statusLabel = (s: number): string => (Number.isInteger(s) && s >= 100 && s <= 999 ? String(s) : '_OTHER');

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

function hasMethods(v: unknown, names: readonly string[]): boolean {
  return (
    typeof v === 'object' && v !== null && names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function')
  );
}

/**
 * Metrics for a service, reported to a prom-client `Registry` or an OpenTelemetry `Meter` without depending on either:
 * HTTP requests (through an adapter's `metrics` option), breakers, limiters and health checks (through `observe...`).
 * Metric names follow Prometheus conventions on a registry and OpenTelemetry's semantic conventions on a meter.
 *
 * @example
 * import { Registry } from 'prom-client';
 * const registry = new Registry();
 * const metrics = createMetrics({ registry });
 * app.use(hardening({ metrics })); // @org/express; likewise @org/fastify and @org/hono
 * metrics.observeLimiter(limiter);
 * app.get('/metrics', async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
 * @throws {TypeError} when neither or both of `registry` and `meter` are given, or either is not one.
 * @throws {RangeError} when `buckets` is not a non-empty increasing list of positive finite numbers.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `metrics: options must be an object, got ${show(options)}`);
  const { registry, meter } = options;
  if ((registry === undefined) === (meter === undefined))
    throw invalidOption(TypeError, 'metrics: pass exactly one of registry (prom-client) or meter (OpenTelemetry)');
  if (registry !== undefined && !hasMethods(registry, ['registerMetric']))
    throw invalidOption(
      TypeError,
      `metrics: registry must be a prom-client Registry (with registerMetric()), got ${show(registry)}`,
    );
  if (meter !== undefined && !hasMethods(meter, ['createCounter', 'createHistogram', 'createObservableGauge']))
    throw invalidOption(TypeError, `metrics: meter must be an OpenTelemetry Meter, got ${show(meter)}`);
  const buckets = options.buckets ?? METRICS_DEFAULTS.buckets;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= buckets[i - 1]!))
  )
    throw invalidOption(
      RangeError,
      `metrics: buckets must be a non-empty increasing list of positive finite seconds, got ${show(buckets)}`,
    );
  const unmatchedRoute = options.unmatchedRoute ?? METRICS_DEFAULTS.unmatchedRoute;
  if (typeof unmatchedRoute !== 'string' || unmatchedRoute === '')
    throw invalidOption(TypeError, `metrics: unmatchedRoute must be a non-empty string, got ${show(unmatchedRoute)}`);

  const ins: Instruments = registry !== undefined ? promInstruments(registry) : otelInstruments(meter!);

  // HTTP instruments exist from the start (a scrape shows them before the first request); the others on first use.
  const duration: Histogram = ins.histogram(DEFS.duration, buckets);
  const active: Counter = ins.upDown(DEFS.active);
  const rate: Counter = ins.counter(DEFS.rate);
  const rejected: Counter = ins.counter(DEFS.rejected);
  const ALLOWED = ['allowed'];
  const LIMITED = ['limited'];
  const BODY = ['body_limit'];
  const TIMEOUT = ['timeout'];
  const methodValues = new Map<string, string[]>();
  const methodOf = (m: string): string[] => {
    let v = methodValues.get(m);
    if (v === undefined) {
      const label = methodLabel(m);
      v = methodValues.get(label) ?? [label];
      if (methodValues.size < 64) methodValues.set(m, v);
    }
    return v;
  };
  const triple: string[] = ['', '', ''];

  // breakers: read at collection from every observed source
  const breakerSources = new Set<() => Iterable<[string, BreakerStatsLike]>>();
  let breakerInstruments = false;
  const eachBreaker = (fn: (name: string, s: BreakerStatsLike) => void): void => {
    for (const src of breakerSources) for (const [name, s] of src()) fn(name, s);
  };
  const addBreakerSource = (src: () => Iterable<[string, BreakerStatsLike]>): (() => void) => {
    if (!breakerInstruments) {
      breakerInstruments = true;
      ins.observed(DEFS.breakerState, 'gauge', (emit) =>
        eachBreaker((name, s) => {
          for (const st of STATES) emit([name, st], s.state === st ? 1 : 0);
        }),
      );
      ins.observed(DEFS.breakerCalls, 'counter', (emit) =>
        eachBreaker((name, s) => {
          for (const [outcome, field] of OUTCOMES) emit([name, outcome], s[field]);
        }),
      );
    }
    breakerSources.add(src);
    return () => {
      breakerSources.delete(src);
    };
  };

  let limiterCounter: Counter | undefined;
  const healthSources = new Set<HealthLike>();
  let healthInstrument = false;

  return {
    unmatchedRoute,
    requestStarted(method) {
      active.add(methodOf(method), 1);
    },
    requestEnded(method, route, status, durationMs) {
      const m = methodOf(method);
      active.add(m, -1);
      triple[0] = m[0]!;
      triple[1] = typeof route === 'string' && route !== '' ? route : unmatchedRoute;
      triple[2] = statusLabel(status);
      duration.observe(triple, durationMs > 0 ? durationMs / 1000 : 0);
    },
    rateLimit(allowed) {
      rate.add(allowed ? ALLOWED : LIMITED, 1);
    },
    rejected(reason) {
      rejected.add(reason === 'timeout' ? TIMEOUT : BODY, 1);
    },
    observeBreaker(breaker) {
      if (!hasMethods(breaker, ['stats']) || typeof breaker.name !== 'string')
        throw invalidArgument(
          TypeError,
          `metrics: observeBreaker needs a circuitBreaker() from @org/breaker, got ${show(breaker)}`,
        );
      return addBreakerSource(() => [[breaker.name, breaker.stats()]]);
    },
    observeBreakers(reg) {
      if (!hasMethods(reg, ['stats']))
        throw invalidArgument(
          TypeError,
          `metrics: observeBreakers needs a breakerRegistry() from @org/breaker, got ${show(reg)}`,
        );
      return addBreakerSource(() => Object.entries(reg.stats().breakers));
    },
    observeLimiter(limiter) {
      if (!hasMethods(limiter, ['on']))
        throw invalidArgument(
          TypeError,
          `metrics: observeLimiter needs a rateLimiter() from @org/ratelimit, got ${show(limiter)}`,
        );
      limiterCounter ??= ins.counter(DEFS.limiter);
      const c = limiterCounter;
      const values = ['', '', ''];
      return limiter.on('decision', (d) => {
        values[0] = d.name;
        values[1] = d.allowed ? 'allowed' : 'limited';
        values[2] = d.source;
        c.add(values, 1);
      });
    },
    observeHealth(health) {
      if (!hasMethods(health, ['statuses']))
        throw invalidArgument(
          TypeError,
          `metrics: observeHealth needs a createHealth() from @org/health, got ${show(health)}`,
        );
      if (!healthInstrument) {
        healthInstrument = true;
        ins.observed(DEFS.health, 'gauge', (emit) => {
          for (const h of healthSources) {
            const statuses = h.statuses();
            for (const check in statuses) for (const s of HEALTH) emit([check, s], statuses[check] === s ? 1 : 0);
          }
        });
      }
      healthSources.add(health);
      return () => {
        healthSources.delete(health);
      };
    },
  };
}
