import * as fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  memoryStore,
  type RateLimiter,
  type RateLimitStore,
  rateLimiter,
  rateLimiters,
  redisStore,
} from '../src/index.js';
import { type Algo, Model } from './reference.js';

// Where the tests' Redis is: REDIS_URL, else the local default (the test run's globalSetup starts it when down).
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const ALGOS: Algo[] = ['gcra', 'sliding-window', 'token-bucket', 'fixed-window'];

/** A client of the shared Redis and a key prefix of this run; the keys under it are deleted after the suite. */
function sharedRedis(tag: string): { redis: Redis; prefix: string } {
  const redis = new Redis(REDIS_URL);
  const prefix = `rltest:${tag}:${process.pid}:${Date.now()}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });
  return { redis, prefix };
}

type LimiterOp = { kind: 'consume' | 'peek' | 'refund' | 'penalize' | 'block' | 'reset'; cost: number; dt: number };

/** Applies `ops` to the same key on both limiters (advancing the shared clock first) and expects identical answers. */
async function replay(
  mem: RateLimiter,
  red: RateLimiter,
  key: string,
  ops: readonly LimiterOp[],
  advance: (dt: number) => void,
): Promise<void> {
  for (const op of ops) {
    advance(op.dt);
    const run = (l: RateLimiter) =>
      op.kind === 'reset'
        ? l.reset(key).then(() => null)
        : op.kind === 'block'
          ? l.block(key, op.cost * 700)
          : l[op.kind](key, { cost: op.cost });
    const [m, r] = [await run(mem), await run(red)];
    expect(r).toEqual(m);
  }
}

type Op = { kind: 'consume' | 'peek' | 'refund'; cost: number; dt: number };

const scenario = (algo: Algo) =>
  fc
    .record({
      limit: fc.integer({ min: 1, max: 12 }),
      windowMs: fc.integer({ min: 1, max: 3000 }),
      burstExtra: fc.integer({ min: -5, max: 8 }),
      start: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
    })
    .chain(({ limit, windowMs, burstExtra, start }) => {
      const burst = algo === 'gcra' || algo === 'token-bucket' ? Math.max(1, limit + burstExtra) : limit;
      const capacity = burst;
      const op: fc.Arbitrary<Op> = fc.record({
        kind: fc.constantFrom('consume', 'consume', 'consume', 'peek', 'refund'),
        cost: fc.integer({ min: 1, max: capacity }),
        dt: fc.oneof(
          fc.constant(0),
          fc.integer({ min: 0, max: Math.max(1, Math.floor(windowMs / limit)) }),
          fc.integer({ min: 0, max: 3 * windowMs }),
        ),
      });
      return fc.record({
        limit: fc.constant(limit),
        windowMs: fc.constant(windowMs),
        burst: fc.constant(burst),
        start: fc.constant(start),
        ops: fc.array(op, { minLength: 1, maxLength: 40 }),
      });
    });

interface Scn {
  limit: number;
  windowMs: number;
  burst: number;
  start: number;
  ops: Op[];
}

async function check(algo: Algo, s: Scn, makeStore: (clock: () => number) => RateLimitStore, key: string) {
  let now = s.start;
  const store = makeStore(() => now);
  const lim = rateLimiter({ algorithm: algo, limit: s.limit, windowMs: s.windowMs, burst: s.burst, store });
  const model = new Model(algo, s.limit, s.windowMs, s.burst);
  for (const op of s.ops) {
    now += op.dt;
    const want = op.kind === 'refund' ? model.refund(now, op.cost) : model.decide(now, op.cost, op.kind === 'consume');
    const d = await lim[op.kind](key, { cost: op.cost });
    const got = { allowed: d.allowed, remaining: d.remaining, resetMs: d.resetMs, retryAfterMs: d.retryAfterMs };
    if (JSON.stringify(got) !== JSON.stringify(want))
      throw new Error(
        `${algo} ${op.kind} cost=${op.cost} at +${now - s.start}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`,
      );
    // allowed <=> remaining before the request covered its cost (an invariant of every algorithm).
  }
}

describe('memory store matches the reference model', () => {
  for (const algo of ALGOS) {
    it(`${algo}`, async () => {
      await fc.assert(
        fc.asyncProperty(scenario(algo), (s) => check(algo, s, (clock) => memoryStore({ clock }), 'k')),
        { numRuns: 300 },
      );
    });
  }
});

describe('redis store (same Lua as production, injected clock) matches the reference model', () => {
  const { redis, prefix } = sharedRedis('model');
  let n = 0;
  for (const algo of ALGOS) {
    it(`${algo}`, async () => {
      await fc.assert(
        fc.asyncProperty(scenario(algo), (s) =>
          check(
            algo,
            s,
            (clock) => redisStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), prefix, clock }),
            `k${n++}`,
          ),
        ),
        { numRuns: 40 },
      );
    });
  }
});

describe('groups: the Redis group script and the memory store agree', () => {
  const { redis, prefix } = sharedRedis('group');
  it('same decisions for random operation sequences over two policies', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ALGOS),
        fc.constantFrom(...ALGOS),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom('consume', 'consume', 'peek', 'refund', 'penalize', 'block', 'reset'),
            cost: fc.integer({ min: 1, max: 2 }),
            dt: fc.integer({ min: 0, max: 1500 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (a1, a2, limit, windowMs, blockMs, ops) => {
          let now = 1_750_000_000_000;
          const clock = () => now;
          const policies = [
            { algorithm: a1, limit: limit + 1, windowMs, name: 'p1', blockMs },
            { algorithm: a2, limit: (limit + 1) * 3, windowMs: windowMs * 5, name: 'p2' },
          ];
          const mem = rateLimiters(policies, { store: memoryStore({ clock }) });
          const red = rateLimiters(policies, {
            store: redisStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), prefix, clock }),
            onStoreError: 'throw',
          });
          await replay(mem, red, `g${n++}`, ops, (dt) => {
            now += dt;
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('single policies: the specialised Redis scripts and the memory store agree', () => {
  const { redis, prefix } = sharedRedis('single');
  it('same decisions for random sequences with block, penalty, refund and reset (packed and array replies)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ALGOS),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(0, 0, 500, 3000),
        fc.array(
          fc.record({
            kind: fc.constantFrom('consume', 'consume', 'consume', 'peek', 'refund', 'penalize', 'block', 'reset'),
            cost: fc.integer({ min: 1, max: 3 }),
            dt: fc.integer({ min: 0, max: 1500 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (algorithm, limit, windowMs, burstExtra, blockMs, ops) => {
          let now = 1_750_000_000_000;
          const clock = () => now;
          const policy = { algorithm, limit: limit + 2, windowMs, burst: limit + 2 + burstExtra, blockMs, name: 'p' };
          const mem = rateLimiter({ ...policy, store: memoryStore({ clock }) });
          const red = rateLimiter({
            ...policy,
            store: redisStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), prefix, clock }),
            onStoreError: 'throw',
          });
          await replay(mem, red, `s${n++}`, ops, (dt) => {
            now += dt;
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads state written in the previous encoding ("a b c blk", all four fields)', async () => {
    let now = 1_750_000_000_000;
    const clock = () => now;
    const send = (a: string[]) => redis.call(a[0]!, ...a.slice(1));
    // GCRA 10/s: TAT 300 ms ahead of now (3 used of 10) and no block.
    const gcra = rateLimiter({ limit: 10, windowMs: 1000, name: 'old-g', store: redisStore({ send, prefix, clock }) });
    await redis.set(`${prefix}{u}:old-g`, `${(now + 300) * 1000} 0 0 0`, 'PX', 60_000);
    expect(await gcra.peek('u')).toMatchObject({ allowed: true, remaining: 7, resetMs: 300 });
    // Fixed window with 4 counted and a block that ends in 2 s.
    const fixed = rateLimiter({
      algorithm: 'fixed-window',
      limit: 5,
      windowMs: 60_000,
      name: 'old-f',
      store: redisStore({ send, prefix, clock }),
    });
    const ws = now - (now % 60_000);
    await redis.set(`${prefix}{u}:old-f`, `${ws} 4 0 ${now + 2000}`, 'PX', 120_000);
    expect(await fixed.consume('u')).toMatchObject({ allowed: false, retryAfterMs: 2000 });
    now += 2000;
    expect(await fixed.consume('u')).toMatchObject({ allowed: true, remaining: 0 });
    // The block has ended: it is no longer written back.
    expect(await redis.get(`${prefix}{u}:old-f`)).toBe(`${ws} 5`);
  });
});
