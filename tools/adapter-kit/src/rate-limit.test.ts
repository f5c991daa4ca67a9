import {
  memoryStore,
  RATE_LIMIT_HEADER_NAMES,
  rateLimiter,
  rateLimiters,
  rateLimitHeaders,
  redisStore,
} from '@org/ratelimit';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { decide, RATE_LIMIT_HEADERS, rateKey, rateLimitHeaderPairs } from './rate-limit.js';

describe('rateLimitHeaderPairs', () => {
  it('produces the same headers as @org/ratelimit rateLimitHeaders for every format', () => {
    const decisions = [
      {
        allowed: true,
        limit: 10,
        remaining: 7,
        resetMs: 4200,
        retryAfterMs: 0,
        name: 'api',
        windowMs: 60_000,
        source: 'store' as const,
      },
      {
        allowed: false,
        limit: 10,
        remaining: 0,
        resetMs: 9000,
        retryAfterMs: 1200,
        name: 'api',
        windowMs: 60_000,
        source: 'store' as const,
      },
    ];
    for (const d of decisions) {
      for (const format of ['draft-11', 'draft-10', 'draft-7', 'draft-6', 'legacy-window'] as const) {
        const theirs = Object.fromEntries(
          Object.entries(rateLimitHeaders(d, { format })).map(([k, v]) => [k.toLowerCase(), v]),
        );
        expect(Object.fromEntries(rateLimitHeaderPairs(d, format)), format).toEqual(theirs);
      }
    }
    expect(rateLimitHeaderPairs(decisions[1]!, 'none')).toEqual([['retry-after', '2']]);
  });

  it('stays exact when policies alternate (the cached policy strings follow the decision) and for groups', async () => {
    const a = rateLimiter({ name: 'a', limit: 5, windowMs: 10_000, store: memoryStore() });
    const b = rateLimiter({ name: 'b', limit: 7, windowMs: 2_000, store: memoryStore() });
    const group = rateLimiters([
      { name: 'burst', limit: 3, windowMs: 1_000 },
      { name: 'hour', limit: 100, windowMs: 3_600_000 },
    ]);
    for (let i = 0; i < 4; i++) {
      for (const d of [await a.consume('k'), await b.consume('k'), await group.consume('k'), await a.consume('j')]) {
        const theirs = Object.fromEntries(
          Object.entries(rateLimitHeaders(d, { format: 'draft-10' })).map(([k, v]) => [k.toLowerCase(), v]),
        );
        expect(Object.fromEntries(rateLimitHeaderPairs(d, 'draft-10'))).toEqual(theirs);
      }
    }
  });
});

describe('draft-11 and legacy-window through the adapters', () => {
  it('the header names are @org/ratelimit RATE_LIMIT_HEADER_NAMES, lower-cased', () => {
    expect(RATE_LIMIT_HEADERS).toEqual(
      Object.fromEntries(Object.entries(RATE_LIMIT_HEADER_NAMES).map(([k, v]) => [k, v.toLowerCase()])),
    );
  });

  it('a 60/minute + 1000/hour group and quota units: the same headers as rateLimitHeaders() for every format', async () => {
    const pair = rateLimiters([
      { name: 'minute', limit: 60, windowMs: 60_000 },
      { name: 'hour', limit: 1000, windowMs: 3_600_000 },
    ]);
    const bytes = rateLimiter({ name: 'upload:bytes', limit: 1_000_000, windowMs: 60_000, quotaUnit: 'content-bytes' });
    const odd = rateLimiters([
      { name: 'per-ip', limit: 2, windowMs: 1_000 },
      { name: 'api:read', limit: 3, windowMs: 1_000 },
    ]);
    const formats = ['draft-11', 'draft-10', 'draft-7', 'draft-6', 'legacy-window'] as const;
    for (let i = 0; i < 4; i++) {
      for (const d of [
        await pair.consume('k'),
        await bytes.consume('k', { cost: 300_000 }),
        await odd.consume('k'),
        await pair.consume('j'),
      ]) {
        for (const format of formats) {
          const theirs = Object.fromEntries(
            Object.entries(rateLimitHeaders(d, { format })).map(([k, v]) => [k.toLowerCase(), v]),
          );
          expect(Object.fromEntries(rateLimitHeaderPairs(d, format)), `${format} ${d.name}`).toEqual(theirs);
        }
      }
    }
    const d = await pair.consume('k2');
    expect(Object.fromEntries(rateLimitHeaderPairs(d, 'legacy-window'))).toEqual({
      'x-ratelimit-limit-minute': '60',
      'x-ratelimit-remaining-minute': '59',
      'x-ratelimit-limit-hour': '1000',
      'x-ratelimit-remaining-hour': '999',
    });
    expect(Object.fromEntries(rateLimitHeaderPairs(await bytes.consume('q'), 'draft-11'))['ratelimit-policy']).toBe(
      '"upload:bytes";q=1000000;qu="content-bytes";w=60',
    );
  });
});

describe('decide', () => {
  it('answers synchronously from a memory store, with the same decisions as consume()', async () => {
    const l = rateLimiter({ limit: 2, windowMs: 60_000, store: memoryStore() });
    const d1 = decide(l, 'k', undefined);
    expect(typeof (d1 as { then?: unknown }).then).toBe('undefined');
    expect((d1 as { remaining: number }).remaining).toBe(1);
    expect(await l.consume('k')).toMatchObject({ allowed: true, remaining: 0 });
    expect(decide(l, 'k', { cost: 1 })).toMatchObject({ allowed: false, remaining: 0 });
  });

  it('uses consume() for good on a store that is not synchronous (a real Redis store)', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    try {
      const l = rateLimiter({
        name: `kit-decide-${process.pid}-${Date.now()}`,
        limit: 3,
        windowMs: 60_000,
        store: redisStore({ send: (args) => redis.call(args[0]!, ...args.slice(1)) as Promise<unknown> }),
      });
      const calls = { sync: 0 };
      const spied = {
        consume: l.consume.bind(l),
        consumeSync: (k: string, o?: { cost?: number }) => {
          calls.sync++;
          return l.consumeSync(k, o);
        },
      };
      const p1 = decide(spied, 'k', undefined);
      expect(typeof (p1 as Promise<unknown>).then).toBe('function');
      expect(await p1).toMatchObject({ allowed: true, remaining: 2 });
      expect(await decide(spied, 'k', undefined)).toMatchObject({ allowed: true, remaining: 1 });
      expect(calls.sync).toBe(1); // ERR_SYNC_STORE once, then remembered
    } finally {
      redis.disconnect();
    }
  });
});

describe('rateKey', () => {
  const limiter = rateLimiter({ limit: 1, windowMs: 60_000, ipv6Prefix: 48 });
  it("keys by the limiter's own ipKey, so limiter.reset(ipKey(ip)) of @org/ratelimit finds the bucket", () => {
    const rate = { limiter, key: undefined, cost: undefined, skip: undefined };
    expect(rateKey(rate, {}, '2001:db8:abcd:1200::1', 'x')).toBe('2001:db8:abcd::/48');
    expect(rateKey(rate, {}, '203.0.113.9', 'x')).toBe('203.0.113.9');
  });
  it("uses the user's key, and refuses to key every client without an address into one bucket", () => {
    expect(
      rateKey({ limiter, key: (_c: object, ip) => `user:${ip}`, cost: undefined, skip: undefined }, {}, '', 'x'),
    ).toBe('user:');
    expect(() => rateKey({ limiter, key: undefined, cost: undefined, skip: undefined }, {}, '', 'hono')).toThrow(
      expect.objectContaining({ code: 'ERR_NO_CLIENT_ADDRESS', status: 500 }),
    );
  });
});
