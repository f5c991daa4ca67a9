import type { ChildProcess } from 'node:child_process';
import { setImmediate as tick } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type RateLimiter,
  type RedisSend,
  type RedisStore,
  rateLimiter,
  rateLimiters,
  redisStore,
} from '../src/index.js';
import { portsInRange, spawnRedisServer, stopServer } from './redis-server.js';

// While Redis is down a client with an offline queue (ioredis' default) keeps every command it is given; the limiter's
// timeout answers the caller but cannot take the command back. The store must bound what it hands over.
const servers: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const f of cleanups) await f();
  for (const s of servers) await stopServer(s);
});

const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
};

/** Wraps `send` to count the commands handed to the client that it has not settled yet (and the most at once). */
const counting = (send: RedisSend) => {
  const c = { outstanding: 0, max: 0, sent: 0 };
  const wrapped: RedisSend = (args) => {
    c.sent++;
    c.outstanding++;
    if (c.outstanding > c.max) c.max = c.outstanding;
    const r = send(args);
    const done = () => {
      c.outstanding--;
    };
    r.then(done, done);
    return r;
  };
  return { c, send: wrapped };
};

/** A `send` whose every reply the test settles by hand. */
const manual = () => {
  const calls: Array<{ args: string[]; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  const send: RedisSend = (args) =>
    new Promise((resolve, reject) => {
      calls.push({ args, resolve, reject });
    });
  return { calls, send };
};

describe('outstanding work is bounded (maxPending)', () => {
  const configs: Array<[string, (store: RedisStore) => RateLimiter]> = [
    [
      'batched single policy',
      (store) => rateLimiter({ limit: 5, windowMs: 60_000, store, timeoutMs: 50, onStoreError: 'deny' }),
    ],
    [
      'unbatched single policy',
      (store) => rateLimiter({ limit: 5, windowMs: 60_000, store, timeoutMs: 50, onStoreError: 'deny' }),
    ],
    [
      'group of two policies',
      (store) =>
        rateLimiters(
          [
            { name: 'minute', limit: 60, windowMs: 60_000 },
            { name: 'hour', limit: 1000, windowMs: 3_600_000 },
          ],
          { store, timeoutMs: 50, onStoreError: 'deny' },
        ),
    ],
  ];

  it.each(configs)(
    '%s: ioredis with its defaults (offline queue) and Redis down: never more than maxPending commands queued, then recovery',
    async (label, make) => {
      const [port] = await portsInRange(7190, 7199, 1);
      let server = await spawnRedisServer(servers, port!);
      // The README's client before this fix: ioredis defaults (offline queue on, 20 retries per request).
      const redis = new Redis({ port: port!, host: '127.0.0.1' });
      redis.on('error', () => {});
      cleanups.push(() => redis.disconnect());
      await waitFor('ioredis ready', () => redis.status === 'ready', 10_000);
      const { c, send } = counting((a) => redis.call(a[0]!, ...a.slice(1)));
      const store = redisStore({
        send,
        maxPending: 100,
        prefix: `rl-backlog-${process.pid}:`,
        batch: label !== 'unbatched single policy',
      });
      const limiter = make(store);
      const codes = new Map<string, number>();
      limiter.on('storeError', (e) => {
        const code = (e.error as { code: string }).code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      });

      await stopServer(server);
      await waitFor('ioredis to notice the outage', () => redis.status !== 'ready', 10_000);

      // 400 clients, 10 requests each, arriving over several event-loop turns (as requests do).
      let maxPending = 0;
      const sources = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          for (let j = 0; j < 10; j++) {
            const d = await limiter.consume(`client-${i}`);
            expect(d.allowed).toBe(false); // onStoreError: 'deny'
            sources.set(d.source, (sources.get(d.source) ?? 0) + 1);
            maxPending = Math.max(maxPending, store.stats().pending);
            await tick();
          }
        }),
      );
      expect(sources).toEqual(new Map([['store-error', 4000]]));
      expect(c.max).toBeLessThanOrEqual(100);
      expect(maxPending).toBeLessThanOrEqual(100);
      expect(store.stats().refused).toBeGreaterThan(3000);
      // Past the bound the answer comes at once (ERR_STORE_BACKLOG), not after timeoutMs (ERR_STORE_TIMEOUT).
      expect(codes.get('ERR_STORE_BACKLOG')).toBe(store.stats().refused);
      expect((codes.get('ERR_STORE_BACKLOG') ?? 0) + (codes.get('ERR_STORE_TIMEOUT') ?? 0)).toBe(4000);

      // Redis comes back: the client replays its (bounded) queue, every command settles, decisions come from Redis.
      server = await spawnRedisServer(servers, port!);
      await waitFor('the queued commands to settle', () => c.outstanding === 0 && store.stats().pending === 0, 20_000);
      await waitFor('a decision from Redis', async () => (await limiter.consume('after')).source === 'store', 10_000);
      expect(store.stats().pending).toBe(0);
      redis.disconnect();
      await stopServer(server);
    },
    60_000,
  );

  it('a send that never answers holds its slots; refused decisions follow onStoreError at once; slots come back when answered', async () => {
    for (const batch of [true, false]) {
      const m = manual();
      const store = redisStore({ send: m.send, maxPending: 10, batch });
      const allow = rateLimiter({ limit: 5, windowMs: 1000, store, timeoutMs: 20, onStoreError: 'allow' });
      const thrower = rateLimiter({ name: 't', limit: 5, windowMs: 1000, store, timeoutMs: 20, onStoreError: 'throw' });
      const first = await Promise.all(Array.from({ length: 15 }, (_, i) => allow.consume(`k${i}`)));
      expect(first.every((d) => d.allowed && d.source === 'store-error')).toBe(true);
      expect(store.stats()).toEqual({ pending: 10, maxPending: 10, refused: 5 });
      await expect(thrower.consume('x')).rejects.toMatchObject({ code: 'ERR_STORE_BACKLOG' });
      // Answer everything the client was given (errors here: the decisions already timed out anyway).
      for (const call of m.calls.splice(0)) call.reject(new Error('connection lost'));
      await waitFor('slots released', () => store.stats().pending === 0, 2000);
      const d = allow.consume('again');
      await tick();
      expect(m.calls.length).toBe(1);
      expect(store.stats().pending).toBe(1);
      m.calls[0]!.reject(new Error('still down'));
      expect((await d).source).toBe('store-error');
      expect(store.stats().pending).toBe(0);
    }
  });

  it('each decision leaves the count exactly once through NOSCRIPT retries, cross-slot splits and bad replies', async () => {
    const m = manual();
    const store = redisStore({ send: m.send, maxPending: 1000 });
    const l = rateLimiter({ limit: 5, windowMs: 1000, store, timeoutMs: 5000 });
    const ds = Array.from({ length: 6 }, (_, i) => l.consume(`key-${i}`));
    await tick();
    expect(store.stats().pending).toBe(6);
    // One batch: NOSCRIPT, then the EVAL is refused as cross-slot, then each per-slot part fails or answers oddly.
    m.calls.shift()!.reject(new Error('NOSCRIPT No matching script'));
    await tick();
    expect(m.calls.length).toBe(1);
    m.calls.shift()!.reject(new Error("CROSSSLOT Keys in request don't hash to the same slot"));
    await tick();
    expect(m.calls.length).toBeGreaterThan(1);
    expect(store.stats().pending).toBe(6);
    let i = 0;
    while (m.calls.length > 0) {
      const call = m.calls.shift()!;
      if (i++ % 2 === 0) call.resolve('not an array');
      else call.reject(new Error('ERR boom'));
      await tick();
    }
    expect((await Promise.all(ds)).every((d) => d.source === 'store-error')).toBe(true);
    expect(store.stats().pending).toBe(0);
  });

  it('unbatched and group decisions: each command leaves the count once, NOSCRIPT retry and bad replies included', async () => {
    const m = manual();
    const store = redisStore({ send: m.send, batch: false });
    const single = rateLimiter({ limit: 5, windowMs: 1000, store, timeoutMs: 5000 });
    const group = rateLimiters(
      [
        { name: 'a', limit: 5, windowMs: 1000 },
        { name: 'b', limit: 9, windowMs: 9000 },
      ],
      { store, timeoutMs: 5000 },
    );
    const ds = [single.consume('x'), group.consume('y'), single.consume('z')];
    expect(store.stats().pending).toBe(3);
    const [x, y, z] = m.calls.splice(0);
    x!.reject(new Error('NOSCRIPT No matching script'));
    y!.reject(new Error('NOSCRIPT No matching script'));
    z!.resolve('garbage'); // a reply no script sends: ERR_STORE_REPLY, no retry
    await tick();
    expect(m.calls.map((c) => c.args[0])).toEqual(['EVAL', 'EVAL']);
    expect(store.stats().pending).toBe(2);
    m.calls[0]!.resolve([1, 4, 200, 0]);
    m.calls[1]!.reject(new Error('ERR boom'));
    const [dx, dy, dz] = await Promise.all(ds);
    expect([dx!.source, dy!.source, dz!.source]).toEqual(['store', 'store-error', 'store-error']);
    expect(store.stats().pending).toBe(0);
  });

  it('refuses a maxPending that is not an integer >= 1', () => {
    const send: RedisSend = async () => 1;
    for (const maxPending of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])
      expect(() => redisStore({ send, maxPending })).toThrow(/redisStore: maxPending must be an integer >= 1/);
  });
});
