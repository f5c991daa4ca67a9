import { memoryStore, rateLimiter, redisStore } from '@org/ratelimit';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { type HttpMetricsLike, meteredLimiter, recordEnd, resolveMetrics } from './metrics.js';
import { resolveOptions } from './options.js';
import { decide } from './rate-limit.js';

/** A recorder that keeps what it was told (the shape createMetrics() of @org/metrics has). */
function recorder() {
  const calls: string[] = [];
  const m: HttpMetricsLike = {
    unmatchedRoute: 'unmatched',
    requestStarted: (method) => calls.push(`start ${method}`),
    requestEnded: (method, route, status) => calls.push(`end ${method} ${route} ${status}`),
    rateLimit: (allowed) => calls.push(allowed ? 'allowed' : 'limited'),
    rejected: (reason) => calls.push(`rejected ${reason}`),
  };
  return { m, calls };
}

describe('the metrics option', () => {
  it('names what is wrong with it', () => {
    expect(() => resolveMetrics(42, 'express')).toThrow(/express: metrics must be built with createMetrics\(\)/);
    expect(() => resolveMetrics({ requestStarted() {} }, 'hono')).toThrow(/hono: metrics must have a requestEnded\(\)/);
    const { m } = recorder();
    expect(() => resolveMetrics({ ...m, unmatchedRoute: 1 }, 'fastify')).toThrow(
      /metrics.unmatchedRoute must be a string/,
    );
    expect(resolveMetrics(undefined, 'express')).toBeUndefined();
  });

  it('leaves the limiter as given without metrics, and counts each decision with them', () => {
    const limiter = rateLimiter({ limit: 1, windowMs: 60_000, store: memoryStore() });
    expect(resolveOptions({ rateLimit: limiter }, 'express').rate!.limiter).toBe(limiter);
    const { m, calls } = recorder();
    const rate = resolveOptions({ rateLimit: limiter, metrics: m }, 'express').rate!;
    // a memory store still decides synchronously through the wrapper
    const d1 = decide(rate.limiter, rate.limiter.ipKey!('203.0.113.7'), undefined);
    expect(typeof (d1 as Promise<unknown>).then).toBe('undefined');
    decide(rate.limiter, rate.limiter.ipKey!('203.0.113.7'), undefined);
    expect(calls).toEqual(['allowed', 'limited']);
  });

  it('counts once per decision on a store that is not synchronous (a real Redis store)', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    try {
      const limiter = rateLimiter({
        name: `kit-metrics-${process.pid}-${Date.now()}`,
        limit: 2,
        windowMs: 60_000,
        store: redisStore({ send: (args) => redis.call(args[0]!, ...args.slice(1)) as Promise<unknown> }),
      });
      const { m, calls } = recorder();
      const l = meteredLimiter(limiter, m);
      expect(await decide(l, 'k', undefined)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await decide(l, 'k', undefined)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await decide(l, 'k', undefined)).toMatchObject({ allowed: false });
      expect(calls).toEqual(['allowed', 'allowed', 'limited']);
    } finally {
      redis.disconnect();
    }
  });

  it('records the end of a request: unmatched label, 413 and timeouts as rejections', () => {
    const { m, calls } = recorder();
    recordEnd(m, 'GET', undefined, 404, 0, false);
    recordEnd(m, 'POST', '/upload', 413, 0, false);
    recordEnd(m, 'GET', '/slow', 503, 0, true);
    expect(calls).toEqual([
      'end GET unmatched 404',
      'end POST /upload 413',
      'rejected body_limit',
      'end GET /slow 503',
      'rejected timeout',
    ]);
  });
});
