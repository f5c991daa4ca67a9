import { memoryStore, type RateLimitDecision, rateLimiter, redisStore } from '@org/ratelimit';
import { describe, expect, it } from 'vitest';

describe("limiter.on('decision')", () => {
  it('reports every consume and consumeSync decision (not peek), the decision object itself', async () => {
    const limiter = rateLimiter({ name: 'api', limit: 2, windowMs: 60_000, store: memoryStore() });
    const seen: RateLimitDecision[] = [];
    const off = limiter.on('decision', (d) => seen.push(d));
    const a = await limiter.consume('k');
    const b = limiter.consumeSync('k');
    await limiter.peek('k');
    const c = await limiter.consume('k');
    expect(seen).toEqual([a, b, c]);
    expect(seen[0]).toBe(a);
    expect(seen.map((d) => [d.allowed, d.name, d.source])).toEqual([
      [true, 'api', 'store'],
      [true, 'api', 'store'],
      [false, 'api', 'store'],
    ]);
    off();
    await limiter.consume('k');
    expect(seen).toHaveLength(3);
  });

  it('reports decisions answered from the deny cache', async () => {
    const limiter = rateLimiter({ limit: 1, windowMs: 60_000, store: memoryStore(), denyCache: true });
    const sources: string[] = [];
    limiter.on('decision', (d) => sources.push(d.source));
    await limiter.consume('k');
    await limiter.consume('k');
    limiter.consumeSync('k');
    expect(sources).toEqual(['store', 'store', 'deny-cache']);
  });

  it('a throwing listener changes no decision and takes nothing twice; its error is reported as uncaught', async () => {
    const limiter = rateLimiter({ limit: 2, windowMs: 60_000, store: memoryStore() });
    limiter.on('decision', () => {
      throw new Error('listener bug');
    });
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    try {
      expect(limiter.consumeSync('k').remaining).toBe(1);
      expect((await limiter.consume('k')).remaining).toBe(0);
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught.map((e) => (e as Error).message)).toEqual(['listener bug', 'listener bug']);
  });

  it('needs a listener function', () => {
    const limiter = rateLimiter({ limit: 2, windowMs: 60_000, store: memoryStore() });
    expect(() => limiter.on('decision', 1 as never)).toThrow(/on\('decision'\) needs a listener function/);
  });
});

describe("limiter.on('storeError')", () => {
  // a store whose every call fails, as a Redis client does when the server is gone
  const down = () =>
    redisStore({
      send: async () => {
        throw new Error('connection refused');
      },
    });

  it('needs a listener function (a non-function would have failed every request during a store outage)', async () => {
    const limiter = rateLimiter({ limit: 2, windowMs: 60_000, store: down() });
    expect(() => limiter.on('storeError', 'log it' as never)).toThrow(/on\('storeError'\) needs a listener function/);
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, source: 'store-error' });
  });

  it('a throwing listener changes no decision (onStoreError still applies); its error is reported as uncaught', async () => {
    const limiter = rateLimiter({ limit: 2, windowMs: 60_000, store: down(), onStoreError: 'allow' });
    const heard: string[] = [];
    limiter.on('storeError', () => {
      throw new Error('listener bug');
    });
    limiter.on('storeError', (e) => heard.push((e.error as { code: string }).code));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    let d: RateLimitDecision;
    try {
      d = await limiter.consume('k');
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(d).toMatchObject({ allowed: true, source: 'store-error' });
    expect(heard).toEqual(['ERR_STORE']); // the listener after the throwing one still hears it
    expect(uncaught.map((e) => (e as Error).message)).toEqual(['listener bug']);
  });
});
