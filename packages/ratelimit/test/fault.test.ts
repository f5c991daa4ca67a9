import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { isRateLimitError, type RateLimitDecision, rateLimiter, redisStore } from '../src/index.js';
import { freePort, spawnRedisServer, stopServer } from './redis-server.js';

// A throwaway redis-server on a random port is killed mid-run and restarted on the same port. The shared server on
// 6379 is never touched.
const servers: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];

const startRedis = (port: number): Promise<ChildProcess> => spawnRedisServer(servers, port);

afterAll(async () => {
  for (const f of cleanups) await f();
  for (const s of servers) await stopServer(s);
});

const waitFor = async (cond: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
};

describe('store outage', () => {
  it('ioredis: outage follows onStoreError (allow and deny), EVAL only after NOSCRIPT, recovery after restart', async () => {
    const port = await freePort();
    let server = await startRedis(port);
    const redis = new Redis({ port, maxRetriesPerRequest: 1, retryStrategy: () => 50, enableOfflineQueue: false });
    redis.on('error', () => {});
    cleanups.push(() => redis.disconnect());
    await new Promise((r) => redis.once('ready', r));
    const sent: string[] = [];
    const send = (a: string[]) => {
      sent.push(a[0]!);
      return redis.call(a[0]!, ...a.slice(1));
    };
    const store = redisStore({ send });
    const allow = rateLimiter({ limit: 2, windowMs: 60_000, store, timeoutMs: 300, onStoreError: 'allow' });
    const deny = rateLimiter({ limit: 2, windowMs: 60_000, store, timeoutMs: 300, onStoreError: 'deny' });
    const errors: unknown[] = [];
    allow.on('storeError', (e) => errors.push(e.error));

    // Fresh server: the first call is EVALSHA -> NOSCRIPT -> EVAL; later calls are EVALSHA only.
    expect((await allow.consume('a')).source).toBe('store');
    expect(sent).toEqual(['EVALSHA', 'EVAL']);
    expect((await allow.consume('a')).remaining).toBe(0);
    expect((await allow.consume('a')).allowed).toBe(false);
    expect(sent).toEqual(['EVALSHA', 'EVAL', 'EVALSHA', 'EVALSHA']);

    await stopServer(server);
    const a = await allow.consume('a');
    expect(a).toMatchObject({ allowed: true, source: 'store-error' });
    const d = await deny.consume('a');
    expect(d).toMatchObject({ allowed: false, source: 'store-error', retryAfterMs: 1000 });
    expect(errors.length).toBe(1);
    expect(isRateLimitError(errors[0])).toBe(true);

    server = await startRedis(port);
    // Recovery: decisions come from the store again (state was lost with the throwaway server: a fresh quota),
    // and the script is re-sent once after NOSCRIPT.
    expect(await waitFor(async () => (await deny.consume('b')).source === 'store', 5000)).toBe(true);
    const r = await allow.consume('a');
    expect(r).toMatchObject({ allowed: true, source: 'store', remaining: 1 });
    expect(sent.filter((c) => c === 'EVAL').length).toBe(2);
    await stopServer(server);
  }, 30_000);

  it('node-redis pointed at a dead port: a hanging send times out per call and never throws with allow/deny', async () => {
    const port = await freePort();
    const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: () => 100 } });
    client.on('error', () => {});
    void client.connect().catch(() => {});
    cleanups.push(() => client.destroy());
    const store = redisStore({ send: (a) => client.sendCommand(a) });
    const allow = rateLimiter({ limit: 5, windowMs: 1000, store, timeoutMs: 100 });
    const throwing = rateLimiter({ limit: 5, windowMs: 1000, store, timeoutMs: 100, onStoreError: 'throw' });
    const t0 = Date.now();
    const ds: RateLimitDecision[] = await Promise.all([allow.consume('x'), allow.consume('y')]);
    expect(ds.map((x) => x.source)).toEqual(['store-error', 'store-error']);
    expect(Date.now() - t0).toBeLessThan(2000); // does not hang
    await expect(throwing.consume('x')).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_STORE/) });

    // The server comes up on that port: the limiter recovers without being rebuilt.
    const server = await startRedis(port);
    expect(await waitFor(async () => (await allow.consume('x')).source === 'store', 8000)).toBe(true);
    await stopServer(server);
  }, 30_000);

  it('a send that throws synchronously is handled like a failure', async () => {
    const store = redisStore({
      send: () => {
        throw new Error('boom');
      },
    });
    const l = rateLimiter({ limit: 1, windowMs: 1000, store, onStoreError: 'deny' });
    expect(await l.consume('k')).toMatchObject({ allowed: false, source: 'store-error' });
  });
});
