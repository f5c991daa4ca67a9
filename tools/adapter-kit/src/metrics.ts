// Request metrics as the adapters record them: a recorder built by createMetrics() of @org/metrics (or any object of
// the same shape) is called at a request's start and end, and for each rate-limit decision. Set up once: without the
// `metrics` option nothing here runs.

import { now } from './clock.js';
import type { DecisionLike, RateLimiterLike } from './contracts.js';
import { invalidOption } from './errors.js';

/** What `createMetrics()` of @org/metrics returns (the parts the adapter calls); any object of this shape fits. */
export interface HttpMetricsLike {
  /** Route label for a request with no route template (no route matched, or answered before routing). */
  readonly unmatchedRoute: string;
  /** A request arrived. */
  requestStarted(method: string): void;
  /** A request ended, answered or abandoned; `route` is the route template, never the raw path. */
  requestEnded(method: string, route: string, status: number, durationMs: number): void;
  /** A rate-limit decision the adapter took. */
  rateLimit(allowed: boolean): void;
  /** A request the adapter refused: 413 (body over the limit) or its timeout answer. */
  rejected(reason: 'body_limit' | 'timeout'): void;
}

const METHODS = ['unmatchedRoute', 'requestStarted', 'requestEnded', 'rateLimit', 'rejected'] as const;

/** Validates the `metrics` option once. */
export function resolveMetrics(value: unknown, adapter: string): HttpMetricsLike | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null)
    throw invalidOption(
      TypeError,
      `${adapter}: metrics must be built with createMetrics() from @org/metrics, got ${value === null ? 'null' : typeof value}`,
    );
  for (const m of METHODS.slice(1)) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function')
      throw invalidOption(
        TypeError,
        `${adapter}: metrics must have a ${m}() method (build it with createMetrics() from @org/metrics)`,
      );
  }
  if (typeof (value as HttpMetricsLike).unmatchedRoute !== 'string')
    throw invalidOption(
      TypeError,
      `${adapter}: metrics.unmatchedRoute must be a string (build it with createMetrics() from @org/metrics)`,
    );
  return value as HttpMetricsLike;
}

/**
 * The limiter the adapter calls when metrics are on: the same decisions, each one counted. Built once at setup, so an
 * adapter without metrics calls the user's limiter directly.
 */
export function meteredLimiter(limiter: RateLimiterLike, m: HttpMetricsLike): RateLimiterLike {
  const count = (d: DecisionLike): DecisionLike => {
    m.rateLimit(d.allowed);
    return d;
  };
  const out: RateLimiterLike = {
    consume(key, opts) {
      const r = limiter.consume(key, opts);
      return typeof (r as Promise<DecisionLike>).then === 'function'
        ? (r as Promise<DecisionLike>).then(count)
        : count(r as DecisionLike);
    },
  };
  if (typeof limiter.consumeSync === 'function') {
    const sync = limiter.consumeSync.bind(limiter);
    out.consumeSync = (key, opts) => count(sync(key, opts));
  }
  if (typeof limiter.ipKey === 'function') out.ipKey = limiter.ipKey.bind(limiter);
  return out;
}

/**
 * Records a finished request: its duration under its route template (`route` undefined: the unmatched label), and a
 * rejection when the adapter refused it (413, or `timedOut`). `t0` is the request's start (`now()` ms).
 */
export function recordEnd(
  m: HttpMetricsLike,
  method: string,
  route: string | undefined,
  status: number,
  t0: number,
  timedOut: boolean,
): void {
  m.requestEnded(method, route ?? m.unmatchedRoute, status, now() - t0);
  if (timedOut) m.rejected('timeout');
  else if (status === 413) m.rejected('body_limit');
}
