import { memoryStore, rateLimiter } from '@org/ratelimit';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from './options.js';

describe('resolveOptions', () => {
  const limiter = rateLimiter({ limit: 1, windowMs: 1000, store: memoryStore() });

  it('rejects bad options naming the adapter and the option', () => {
    expect(() => resolveOptions({ bodyLimit: 'lots' }, 'express')).toThrow(/express: bodyLimit must be a byte count/);
    expect(() => resolveOptions({ timeoutMs: -5 }, 'hono')).toThrow(/hono: timeoutMs must be a number of milliseconds/);
    expect(() => resolveOptions({ cors: {} as never }, 'x')).toThrow(/x: cors must have a handle\(\) method/);
    expect(() => resolveOptions({ rateLimit: { limiter: {} } as never }, 'x')).toThrow(
      /x: rateLimit.limiter must have a consume\(\) method/,
    );
    expect(() => resolveOptions({ trustProxy: ['10.0.0.0/99'] }, 'x')).toThrow(/x: trustProxy/);
    expect(() => resolveOptions({ requestId: { header: 'bad header' } }, 'x')).toThrow(
      /x: requestId.header must be a header name/,
    );
    expect(() => resolveOptions({ headers: { entries: 'x' } as never }, 'x')).toThrow(
      /x: headers must be built with securityHeaders\(\)/,
    );
  });

  it('timeoutStatus is 503 (default) or 504; csrf, ipFilter and rateLimit.headers are checked at setup', () => {
    expect(resolveOptions({}, 'x').timeoutStatus).toBe(503);
    expect(resolveOptions({ timeoutStatus: 504 }, 'x').timeoutStatus).toBe(504);
    for (const bad of [500, 408, '504', null])
      expect(() => resolveOptions({ timeoutStatus: bad as never }, 'fastify')).toThrow(
        expect.objectContaining({
          name: 'RangeError',
          code: 'ERR_INVALID_OPTION',
          message: `fastify: timeoutStatus must be 503 or 504, got ${bad === '504' ? '"504"' : String(bad)}`,
        }),
      );
    expect(() => resolveOptions({ csrf: {} as never }, 'hono')).toThrow(
      /hono: csrf must be built with crossOriginProtection\(\) from @org\/headers, got an object/,
    );
    expect(() => resolveOptions({ ipFilter: { allow: ['10.0.0.0/40'] } }, 'express')).toThrow(
      /express: ipFilter\.allow\[0\]: "10\.0\.0\.0\/40" has a prefix length above 32/,
    );
    expect(() => resolveOptions({ rateLimit: { limiter, headers: 'draft-12' as never } }, 'x')).toThrow(
      /x: rateLimit.headers must be one of 'draft-11', 'draft-10', .*'legacy-window', 'none', got "draft-12"/,
    );
    const none = resolveOptions({}, 'x');
    expect([none.ipFilter, none.csrf]).toEqual([undefined, undefined]);
  });

  it("points ipv6Prefix to the limiter, and needs the limiter's ipKey unless a key function is given", () => {
    expect(() => resolveOptions({ rateLimit: { limiter, ipv6Prefix: 64 } as never }, 'fastify')).toThrow(
      /fastify: rateLimit.ipv6Prefix is the limiter's option now: rateLimiter\(\{ \.\.\., ipv6Prefix \}\)/,
    );
    const bare = { consume: limiter.consume.bind(limiter) };
    expect(() => resolveOptions({ rateLimit: bare }, 'express')).toThrow(
      /express: rateLimit.limiter has no ipKey\(\).*or pass rateLimit.key/,
    );
    expect(resolveOptions({ rateLimit: { limiter: bare, key: () => 'k' } }, 'express').rate?.key).toBeTypeOf(
      'function',
    );
    expect(resolveOptions({ rateLimit: limiter }, 'express').rate?.limiter).toBe(limiter);
  });

  it('checks every id a custom generator makes, naming the option', () => {
    const ids = ['ok-1', 'bad\r\nid', 42];
    const o = resolveOptions({ requestId: { generate: () => ids.shift() as string } }, 'hono');
    expect(o.generateId!()).toBe('ok-1');
    expect(() => o.generateId!()).toThrow(
      /hono: requestId.generate must return a non-empty header-safe string, got "bad\\r\\nid"/,
    );
    expect(() => o.generateId!()).toThrow(/got 42/);
  });
});
