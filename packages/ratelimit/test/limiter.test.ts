import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ipKey,
  isRateLimitError,
  memoryStore,
  type RateLimitDecision,
  rateLimiter,
  rateLimiters,
  rateLimitHeaders,
  redisStore,
} from '../src/index.js';
import { type DeadlineEntry, deadlineQueue } from '../src/internal/deadline.js';
import { sha1Hex } from '../src/internal/sha1.js';

const clocked = (t0 = 1_700_000_000_000) => {
  const c = { t: t0 };
  return { c, store: memoryStore({ clock: () => c.t }) };
};

describe('rateLimiter', () => {
  it('validates options with errors naming the option', () => {
    expect(() => rateLimiter({ limit: 0, windowMs: 1000 })).toThrow(
      /rateLimiter: limit must be an integer >= 1, got 0/,
    );
    expect(() => rateLimiter({ limit: 1, windowMs: 1.5 })).toThrow(/windowMs must be an integer >= 1, got 1.5/);
    expect(() => rateLimiter({ limit: 1, windowMs: 1, burst: 0 })).toThrow(/burst must be an integer >= 1, got 0/);
    expect(() => rateLimiter({ limit: 1, windowMs: 1, algorithm: 'leaky' as never })).toThrow(/algorithm must be/);
    expect(() => rateLimiter({ limit: 1, windowMs: 1, onStoreError: 'maybe' as never })).toThrow(/onStoreError/);
    expect(() => rateLimiter({ limit: 1, windowMs: 1, timeoutMs: 0 })).toThrow(/timeoutMs must be an integer >= 1/);
    expect(() => rateLimiter({ limit: 1, windowMs: 1, name: 'a b' })).toThrow(/name must be/);
    expect(() => rateLimiter({ limit: 2 ** 30, windowMs: 2 ** 30 })).toThrow(/too large/);
    expect(() => rateLimiters([])).toThrow(/non-empty array/);
    expect(() =>
      rateLimiters([
        { limit: 1, windowMs: 1, name: 'x' },
        { limit: 2, windowMs: 1, name: 'x' },
      ]),
    ).toThrow(/unique/);
    expect(() => rateLimiters([{ limit: 1, windowMs: 0 }])).toThrow(/rateLimiters: policies\[0\]: windowMs/);
    const l = rateLimiter({ limit: 3, windowMs: 1000 });
    expect(() => l.consumeSync('k', { cost: 4 })).toThrow(/cost must be an integer between 1 and 3, got 4/);
    expect(() => l.consumeSync(5 as never)).toThrow(/key must be a string/);
  });

  it('GCRA (default) spreads the quota and honours burst', () => {
    const { c, store } = clocked();
    const l = rateLimiter({ limit: 10, windowMs: 1000, burst: 2, store });
    expect(l.policies[0]!.algorithm).toBe('gcra');
    expect(l.consumeSync('k')).toMatchObject({ allowed: true, remaining: 1 });
    expect(l.consumeSync('k')).toMatchObject({ allowed: true, remaining: 0 });
    expect(l.consumeSync('k')).toMatchObject({ allowed: false, retryAfterMs: 100 });
    c.t += 100;
    expect(l.consumeSync('k').allowed).toBe(true);
  });

  it('peek changes nothing; refund gives back; penalize takes unconditionally; reset forgets', async () => {
    const { store } = clocked();
    const l = rateLimiter({ algorithm: 'fixed-window', limit: 3, windowMs: 60_000, store });
    expect(await l.peek('k', { cost: 3 })).toMatchObject({ allowed: true, remaining: 3 });
    await l.consume('k', { cost: 2 });
    expect(await l.peek('k', { cost: 2 })).toMatchObject({ allowed: false, remaining: 1 });
    expect(await l.refund('k')).toMatchObject({ remaining: 2 });
    expect(await l.penalize('k', { cost: 5 })).toMatchObject({ remaining: 0 });
    expect((await l.consume('k')).allowed).toBe(false);
    await l.reset('k');
    expect(await l.consume('k')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('block() and blockMs deny everything until the block ends', async () => {
    const { c, store } = clocked();
    const l = rateLimiter({ algorithm: 'token-bucket', limit: 1, windowMs: 1000, blockMs: 5000, store });
    expect(l.consumeSync('k').allowed).toBe(true);
    expect(l.consumeSync('k')).toMatchObject({ allowed: false, retryAfterMs: 5000 });
    c.t += 4999;
    expect(l.consumeSync('k')).toMatchObject({ allowed: false, retryAfterMs: 1 });
    c.t += 1;
    expect(l.consumeSync('k').allowed).toBe(true);
    const m = rateLimiter({ limit: 100, windowMs: 1000, store, name: 'm' });
    expect(await m.block('x', 2000)).toMatchObject({ allowed: false, retryAfterMs: 2000, remaining: 0 });
    expect(m.consumeSync('x')).toMatchObject({ allowed: false, retryAfterMs: 2000 });
    c.t += 2000;
    expect(m.consumeSync('x').allowed).toBe(true);
  });

  it('rateLimiters: every policy must allow; nothing is charged on denial; the most restrictive is reported', () => {
    const { c, store } = clocked(1_700_000_040_000);
    const g = rateLimiters(
      [
        { algorithm: 'fixed-window', limit: 2, windowMs: 1000, name: 'second' },
        { algorithm: 'fixed-window', limit: 3, windowMs: 60_000, name: 'minute' },
      ],
      { store },
    );
    let d = g.consumeSync('u');
    expect(d).toMatchObject({ allowed: true, name: 'second', remaining: 1 });
    expect(d.policies!.map((p) => p.remaining)).toEqual([1, 2]);
    g.consumeSync('u');
    d = g.consumeSync('u');
    expect(d).toMatchObject({ allowed: false, name: 'second', retryAfterMs: 1000 });
    expect(d.policies!.map((p) => [p.allowed, p.remaining])).toEqual([
      [false, 0],
      [true, 1],
    ]); // minute was not charged
    c.t += 1000;
    expect(g.consumeSync('u')).toMatchObject({ allowed: true, name: 'minute', remaining: 0 });
    c.t += 1000;
    d = g.consumeSync('u');
    expect(d).toMatchObject({ allowed: false, name: 'minute', retryAfterMs: 58_000 });
    expect(rateLimitHeaders(d)).toEqual({
      'RateLimit-Policy': '"second";q=2;w=1, "minute";q=3;w=60',
      RateLimit: '"second";r=2;t=0, "minute";r=0;t=58',
      'Retry-After': '58',
    });
  });

  it('deny cache answers blocked keys locally; refund clears it', async () => {
    let calls = 0;
    const inner = memoryStore();
    const counting = {
      kind: 'memory' as const,
      bind: (ps: Parameters<typeof inner.bind>[0]) => {
        const r = inner.bind(ps);
        return {
          sync: false,
          run: (op: number, key: string, cost: number) => {
            calls++;
            return Promise.resolve(r.run(op, key, cost)).then((x) => Array.from(x as ArrayLike<number>));
          },
        };
      },
    };
    const l = rateLimiter({ limit: 1, windowMs: 60_000, store: counting, denyCache: { maxKeys: 2 } });
    await l.consume('k');
    expect((await l.consume('k')).source).toBe('store');
    expect(calls).toBe(2);
    const d = await l.consume('k');
    expect(d).toMatchObject({ allowed: false, source: 'deny-cache' });
    expect(d.retryAfterMs).toBeGreaterThan(50_000);
    expect(calls).toBe(2);
    await l.refund('k');
    expect((await l.consume('k')).source).toBe('store');
  });

  it('consumeSync needs a sync store; events unsubscribe', () => {
    const l = rateLimiter({ limit: 1, windowMs: 1, store: redisStore({ send: async () => [] }) });
    try {
      l.consumeSync('k');
      expect.unreachable();
    } catch (e) {
      expect(isRateLimitError(e)).toBe(true);
      expect((e as { code: string }).code).toBe('ERR_SYNC_STORE');
    }
    expect(() => l.on('nope' as never, () => {})).toThrow(/unknown event/);
  });

  it('a malformed store reply is a store error', async () => {
    const seen: string[] = [];
    const l = rateLimiter({ limit: 1, windowMs: 1000, store: redisStore({ send: async () => 'OK' }) });
    const off = l.on('storeError', (e) => seen.push((e.error as { code: string }).code));
    expect(await l.consume('k')).toMatchObject({ allowed: true, source: 'store-error' });
    off();
    await l.consume('k');
    expect(seen).toEqual(['ERR_STORE_REPLY']);
  });
});

describe('deadline queue (per-call timeouts, one timer)', () => {
  it('drops settled calls at once, keeps those behind a slow one, and expires the slow one on time', async () => {
    const expired: DeadlineEntry[] = [];
    const q = deadlineQueue<DeadlineEntry>(60, (e) => expired.push(e));
    const e1 = { deadline: 0, done: false };
    const e2 = { deadline: 0, done: false };
    const e3 = { deadline: 0, done: false };
    q.add(e1);
    q.add(e2);
    q.add(e3);
    expect([q.pending, q.held]).toEqual([3, 3]);
    expect(q.settle(e2)).toBe(true);
    expect([q.pending, q.held]).toEqual([2, 3]); // e2 waits behind e1
    expect(q.settle(e1)).toBe(true);
    expect([q.pending, q.held]).toEqual([1, 1]); // e1 and e2 released together
    expect(q.settle(e1)).toBe(false);
    await new Promise((r) => setTimeout(r, 120));
    expect(expired).toEqual([e3]);
    expect([q.pending, q.held]).toEqual([0, 0]);
    expect(q.settle(e3)).toBe(false); // a late answer after the timeout is ignored
    for (let i = 0; i < 10_000; i++) {
      const e = { deadline: 0, done: false };
      q.add(e);
      q.settle(e);
    }
    expect(q.held).toBe(0); // nothing kept until its deadline
  });
});

describe('redisStore', () => {
  it('sends one EVALSHA with hash-tagged keys, integer args and no client time', async () => {
    const calls: string[][] = [];
    const store = redisStore({
      prefix: 'app:',
      send: async (a) => {
        calls.push(a);
        return [1, 9, 100, 0, 1, 99, 1000, 0];
      },
    });
    const g = rateLimiters(
      [
        { limit: 10, windowMs: 1000, name: 's' },
        { limit: 100, windowMs: 60_000, name: 'm' },
      ],
      { store },
    );
    await g.consume('user:42', { cost: 1 });
    expect(calls).toHaveLength(1);
    const a = calls[0]!;
    expect(a.slice(0, 5)).toEqual(['EVALSHA', store.scriptSha, '2', 'app:{user:42}:s', 'app:{user:42}:m']);
    expect(a[7]).toBe(''); // now: empty, the script reads TIME
    expect(a.every((x) => typeof x === 'string')).toBe(true);
    expect(store.scriptSha).toBe(sha1Hex(store.script));
    // One policy: its own script; a consume sends only the cost (no op, no client time) and a packed integer comes back.
    calls.length = 0;
    const one = redisStore({
      prefix: 'app:',
      send: async (a) => {
        calls.push(a);
        return 2 * 1_000_000 + 1; // GCRA 10/s: allowed, TAT 1 s ahead of now
      },
    });
    const l = rateLimiter({ limit: 10, windowMs: 1000, name: 's', store: one });
    expect(await l.consume('user:42', { cost: 3 })).toMatchObject({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.length).toBe(5);
    expect([calls[0]![0], calls[0]![2], calls[0]![3], calls[0]![4]]).toEqual(['EVALSHA', '1', 'app:{user:42}:s', '3']);
    await l.peek('user:42');
    expect(calls[1]!.slice(3)).toEqual(['app:{user:42}:s', '1', '1']); // cost, op (peek)
    expect(() => redisStore({ send: 1 as never })).toThrow(/send must be a function/);
    expect(() => redisStore({ send: async () => 1, prefix: 'a{' })).toThrow(/prefix must not contain/);
  });

  it('sha1 matches known vectors', () => {
    expect(sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(sha1Hex('a'.repeat(1000))).toBe('291e9a6c66994949b57ba5e650361e98fc36b1ba');
  });
});

describe('rateLimitHeaders', () => {
  const denied: RateLimitDecision = {
    allowed: false,
    limit: 100,
    remaining: 0,
    resetMs: 30_500,
    retryAfterMs: 1_200,
    name: 'api',
    windowMs: 60_000,
    source: 'store',
  };
  it('draft-10, draft-7, draft-6, legacy; Retry-After on every denial, never on success', () => {
    expect(rateLimitHeaders(denied)).toEqual({
      'RateLimit-Policy': '"api";q=100;w=60',
      RateLimit: '"api";r=0;t=31',
      'Retry-After': '2',
    });
    expect(rateLimitHeaders(denied, { format: 'draft-7' })).toEqual({
      'RateLimit-Policy': '100;w=60',
      RateLimit: 'limit=100, remaining=0, reset=31',
      'Retry-After': '2',
    });
    expect(rateLimitHeaders(denied, { format: 'draft-6' })).toEqual({
      'RateLimit-Policy': '100;w=60',
      'RateLimit-Limit': '100',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '31',
      'Retry-After': '2',
    });
    expect(rateLimitHeaders(denied, { format: 'legacy', now: () => 1_000_000 })).toEqual({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1031',
      'Retry-After': '2',
    });
    expect(rateLimitHeaders({ ...denied, retryAfterMs: 0 })['Retry-After']).toBe('1');
    expect(rateLimitHeaders({ ...denied, allowed: true, retryAfterMs: 0 })['Retry-After']).toBeUndefined();
    expect(() => rateLimitHeaders(denied, { format: 'x' as never })).toThrow(/format must be/);
  });
});

describe('ipKey', () => {
  it('groups IPv6 by /56, maps IPv4-mapped IPv6 to IPv4, ignores zones and brackets', () => {
    expect(ipKey('203.0.113.7')).toBe('203.0.113.7');
    expect(ipKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(ipKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(ipKey('2001:db8:abcd:12ff:1:2:3:4')).toBe('2001:db8:abcd:1200::/56');
    expect(ipKey('2001:db8:abcd:12aa::9')).toBe('2001:db8:abcd:1200::/56');
    expect(ipKey('[2001:DB8::1%eth0]', { ipv6Prefix: 128 })).toBe('2001:db8::1');
    expect(ipKey('2001:db8::1', { ipv6Prefix: 64 })).toBe('2001:db8::/64');
    expect(ipKey('::1')).toBe('::/56');
    expect(ipKey('64:ff9b::192.0.2.33', { ipv6Prefix: 128 })).toBe('64:ff9b::c000:221');
    expect(ipKey('198.51.100.77', { ipv4Prefix: 24 })).toBe('198.51.100.0/24');
    expect(ipKey('not-an-ip')).toBe('not-an-ip');
    expect(ipKey('1.2.3.256')).toBe('1.2.3.256');
    expect(ipKey('1:2:3:4:5:6:7:8:9')).toBe('1:2:3:4:5:6:7:8:9');
    expect(() => ipKey('::1', { ipv6Prefix: 129 })).toThrow(/ipv6Prefix must be an integer between 0 and 128, got 129/);
  });

  it("is also the limiter's own method, at the limiter's ipv6Prefix, so reset(ipKey(ip)) finds the bucket", async () => {
    const limiter = rateLimiter({ limit: 1, windowMs: 60_000 });
    for (const ip of ['203.0.113.7', '::ffff:203.0.113.7', '2001:db8:abcd:12ff:1:2:3:4', 'not-an-ip'])
      expect(limiter.ipKey(ip)).toBe(ipKey(ip));
    const ip = '2001:db8:abcd:12aa::9';
    expect((await limiter.consume(limiter.ipKey(ip))).allowed).toBe(true);
    expect((await limiter.consume(limiter.ipKey('2001:db8:abcd:1200::1'))).allowed).toBe(false);
    await limiter.reset(ipKey(ip));
    expect((await limiter.consume(limiter.ipKey(ip))).allowed).toBe(true);
    // the method's shortcut for plain IPv4 gives exactly what ipKey() gives, for anything a client can send
    const chars = fc.constantFrom(...'0123456789.: a'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.string({ unit: chars, maxLength: 18 })), (s) => {
        expect(limiter.ipKey(s)).toBe(ipKey(s));
      }),
      { numRuns: 2000 },
    );
    const group = rateLimiters([{ limit: 1, windowMs: 1000 }], { ipv6Prefix: 64 });
    expect(group.ipKey('2001:db8::1')).toBe('2001:db8::/64');
    expect(() => rateLimiter({ limit: 1, windowMs: 1, ipv6Prefix: 129 })).toThrow(
      /rateLimiter: ipv6Prefix must be an integer between 0 and 128, got 129/,
    );
  });
});
