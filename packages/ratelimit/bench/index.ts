import { benchRun } from '@org/bench-kit';
import { MemoryStore as ErlMemoryStore } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { memoryStore, rateLimiter, rateLimitHeaders, redisStore } from '../src/index.js';

// Every table that names `ours` goes to bench/results.json and BENCHMARKS.md's "Latest run" (bench.write() below).
const bench = benchRun('@org/ratelimit', import.meta.url);

// Every case decides "may this key make one more request?" against a limit it never hits (so the rivals' reject
// paths, which throw, are not what is measured). Keys cycle over 10,000 clients, like real traffic. Limits are chosen
// so every key keeps live state for the whole run (a GCRA key with 1e9/min would be back to "full" 1 ms after each
// hit and be dropped, which measures insert/delete churn instead of decisions): GCRA gets 1e5 per 1e9 ms (10 s per request).
const KEYS = Array.from({ length: 10_000 }, (_, i) => `203.0.113.${i % 256}:${i}`);
let i = 0;
const nextKey = () => KEYS[(i = (i + 1) % KEYS.length)]!;
const LIMIT = 1_000_000_000;

// ---------- memory ----------
// RL_BENCH=redis runs only the Redis section; RL_BENCH_ROUNDS sets its number of interleaved rounds (default 9).
const only = process.env.RL_BENCH;
if (only !== 'redis') {
  const ours = rateLimiter({ algorithm: 'fixed-window', limit: LIMIT, windowMs: 60_000, store: memoryStore() });
  const oursGcra = rateLimiter({ limit: 100_000, windowMs: 1_000_000_000, store: memoryStore() });
  const rlf = new RateLimiterMemory({ points: LIMIT, duration: 60 });
  const erl = new ErlMemoryStore();
  erl.init({ windowMs: 60_000 } as never);

  await bench.compare(
    'memory store: one decision (async consume)',
    [
      { name: 'rate-limiter-flexible Memory', fn: () => rlf.consume(nextKey()) },
      { name: 'express-rate-limit MemoryStore', fn: () => erl.increment(nextKey()) },
      { name: '@org/ratelimit fixed-window', fn: () => ours.consume(nextKey()) },
      { name: '@org/ratelimit gcra', fn: () => oursGcra.consume(nextKey()) },
    ],
    { ours: '@org/ratelimit gcra', rival: ['rate-limiter-flexible Memory', 'express-rate-limit MemoryStore'] },
  );

  await bench.compare(
    'memory store: decision + headers (the adapter path, sync)',
    [
      { name: 'rate-limiter-flexible Memory', fn: () => rlf.consume(nextKey()) },
      { name: '@org/ratelimit consumeSync+headers', fn: () => rateLimitHeaders(oursGcra.consumeSync(nextKey())) },
    ],
    { ours: '@org/ratelimit consumeSync+headers', rival: 'rate-limiter-flexible Memory' },
  );
  erl.shutdown();

  // ---------- bytes per key ----------
  const gc = (globalThis as { gc?: () => void }).gc;
  async function bytesPerKey(label: string, fill: (k: string) => unknown): Promise<void> {
    const N = 100_000;
    const keys = Array.from({ length: N }, (_, j) => `bytes-${label}-${j}-${Math.random().toString(36).slice(2, 8)}`);
    gc?.();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    for (const k of keys) await fill(k);
    gc?.();
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    console.log(
      `  ${label.padEnd(34)} ${((after - before) / N).toFixed(0).padStart(5)} bytes/key (key strings excluded)`,
    );
  }
  console.log(`\n## memory per key (100,000 keys${gc ? '' : ', no --expose-gc: rough'})`);
  {
    const s = memoryStore({ maxKeys: 100_000 });
    const l = rateLimiter({ limit: 10, windowMs: 600_000, store: s });
    await bytesPerKey('@org/ratelimit memoryStore', (k) => l.consumeSync(k));
    const r = new RateLimiterMemory({ points: 10, duration: 600 });
    await bytesPerKey('rate-limiter-flexible Memory', (k) => r.consume(k));
    const e = new ErlMemoryStore();
    e.init({ windowMs: 600_000 } as never);
    await bytesPerKey('express-rate-limit MemoryStore', (k) => e.increment(k));
    e.shutdown();
  }
}

// ---------- redis, 100 concurrent ----------
// Fair by construction: every row uses the same ioredis client (one connection, default settings: no auto-pipelining;
// RL_BENCH_AUTOPIPELINING=1 turns it on for every row alike), the same 100-concurrent bursts and the same key cycle.
// rate-limiter-flexible runs its own defaults (its Lua via ioredis defineCommand: EVALSHA, SET NX + INCRBY + PTTL);
// it counts every request, ours never charges a denied one — no request here is denied, so both do their full work.
const redis = new Redis({ port: 6379, enableAutoPipelining: process.env.RL_BENCH_AUTOPIPELINING === '1' });
const prefix = `rlbench:${process.pid}:`;
const oursRedis = rateLimiter({
  algorithm: 'fixed-window',
  limit: LIMIT,
  windowMs: 60_000,
  store: redisStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), prefix }),
});
const oursRedisGcra = rateLimiter({
  limit: 100_000,
  windowMs: 1_000_000_000,
  store: redisStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), prefix }),
});
// The two rows above use the store defaults (`batch: true`, `cluster: 'auto'`: one batch per tick across slots on this
// standalone server, so the old `cluster: false` row would be the same configuration and is gone). Same limiter without
// batching (one EVALSHA per decision: the store before batching):
const oursRedisGcraOne = rateLimiter({
  limit: 100_000,
  windowMs: 1_000_000_000,
  store: redisStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), prefix, batch: false }),
});
const rlfRedis = new RateLimiterRedis({ storeClient: redis, points: LIMIT, duration: 60, keyPrefix: `${prefix}rlf` });
const C = 100;
const burst = (f: (k: string) => Promise<unknown>) => () => Promise.all(Array.from({ length: C }, () => f(nextKey())));
await oursRedis.consume('warm');
await oursRedisGcra.consume('warm');
await Promise.all([oursRedisGcra.consume('warm'), oursRedisGcra.consume('warm2')]);
await oursRedisGcraOne.consume('warm');
await rlfRedis.consume('warm');
// Reference row, not a rate limiter: the same ioredis client sending one EVALSHA of a script that only returns 1, i.e.
// the client + network + script-call cost every Redis limiter pays before doing any work. No limiter can beat it.
const floorSha = (await redis.script('LOAD', 'return 1')) as string;
const res = await bench.compare(
  `redis store: ${C} concurrent decisions per op (one shared ioredis client)`,
  [
    { name: 'rate-limiter-flexible Redis', fn: burst((k) => rlfRedis.consume(k)) },
    { name: '@org/ratelimit fixed-window', fn: burst((k) => oursRedis.consume(k)) },
    { name: '@org/ratelimit gcra', fn: burst((k) => oursRedisGcra.consume(k)) },
    { name: '@org/ratelimit gcra batch:false', fn: burst((k) => oursRedisGcraOne.consume(k)) },
    { name: 'floor: EVALSHA "return 1"', fn: burst((k) => redis.call('EVALSHA', floorSha, '1', k, '1')) },
  ],
  {
    ours: '@org/ratelimit gcra',
    rival: 'rate-limiter-flexible Redis',
    rounds: Number(process.env.RL_BENCH_ROUNDS ?? 9),
    roundMs: 300,
  },
);
for (const r of res) console.log(`  ${r.name}: ${Math.round(r.opsPerSec * C).toLocaleString('en-US')} decisions/s`);

let cursor = '0';
do {
  const [c, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = c;
  if (keys.length) await redis.del(...keys);
} while (cursor !== '0');
redis.disconnect();
// RL_BENCH=redis runs a part of the bench: for trying a change, not for publishing figures
if (only !== 'redis') bench.write();
