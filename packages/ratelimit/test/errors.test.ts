// Every code in rateLimitErrorCodes is triggered for real (a real Redis, a refused connection, a paused Redis that never
// answers), through the public API of the source and of both builds, and checked against the error contract; the
// README's errors table is checked against the same export.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from '../src/index.js';
import { freePort, spawnRedisServer, stopServer } from './redis-server.js';

type Pkg = typeof src;

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const f of cleanups.reverse()) await f();
});

/** An ioredis client, closed after the file. Commands fail at once when it is not connected. */
async function client(port: number, connected = true): Promise<Redis> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    enableOfflineQueue: false,
    enableReadyCheck: false,
    lazyConnect: true,
  });
  r.on('error', () => {});
  cleanups.push(() => r.disconnect());
  if (connected) await r.connect();
  return r;
}

/**
 * A client of a throwaway redis-server (the shared one on 6379 is never paused) that then pauses every client: a
 * connected Redis that stops answering. Started once for the file.
 */
const servers: ChildProcess[] = [];
let paused: Promise<Redis> | undefined;
const pausedRedis = (): Promise<Redis> =>
  (paused ??= (async () => {
    cleanups.unshift(async () => {
      for (const s of servers) await stopServer(s);
    });
    const port = await freePort();
    await spawnRedisServer(servers, port);
    const r = await client(port);
    await r.call('CLIENT', 'PAUSE', '600000', 'ALL');
    return r;
  })());

const sendTo = (r: Redis) => (a: string[]) => r.call(a[0]!, ...a.slice(1));
const throwing = (m: Pkg, store: ReturnType<Pkg['redisStore']>, extra: object = {}) =>
  m.rateLimiter({ limit: 5, windowMs: 60_000, store, onStoreError: 'throw', timeoutMs: 50, ...extra });

const triggers: { [K in keyof Pkg['rateLimitErrorCodes']]: Array<(m: Pkg) => unknown> } = {
  ERR_STORE: [
    // Nothing listens on the port: the client refuses the command, the store fails.
    // (a generous timeout: on a loaded machine the refusal must not lose the race with the 50 ms default here)
    async (m) =>
      throwing(m, m.redisStore({ send: sendTo(await client(await freePort(), false)) }), { timeoutMs: 5000 }).consume(
        'k',
      ),
  ],
  ERR_STORE_TIMEOUT: [async (m) => throwing(m, m.redisStore({ send: sendTo(await pausedRedis()) })).consume('k')],
  ERR_STORE_REPLY: [
    // A wrapper that sends the wrong command to the real Redis: its reply cannot come from the decision script.
    async (m) => {
      const r = await client(6379);
      return throwing(m, m.redisStore({ send: () => r.call('ECHO', 'not a decision') }), { timeoutMs: 5000 }).consume(
        'k',
      );
    },
  ],
  ERR_STORE_BACKLOG: [
    async (m) => {
      const store = m.redisStore({ send: sendTo(await pausedRedis()), maxPending: 1 });
      const limiter = throwing(m, store, { timeoutMs: 5000 });
      const first = limiter.consume('a');
      first.catch(() => {});
      return limiter.consume('b');
    },
  ],
  ERR_SYNC_STORE: [
    async (m) => {
      const r = await client(6379);
      return m.rateLimiter({ limit: 5, windowMs: 1000, store: m.redisStore({ send: sendTo(r) }) }).consumeSync('k');
    },
  ],
  ERR_INVALID_OPTION: [
    (m) => m.rateLimiter({ limit: 0, windowMs: 1000 }),
    (m) => m.rateLimiter({ limit: 1, windowMs: 1000, algorithm: 'leaky' as never }),
    (m) => m.redisStore({ send: 1 as never }),
    (m) => m.memoryStore({ maxKeys: 0 }),
    (m) => m.ipKey('203.0.113.7', { ipv6Prefix: 200 }),
    (m) => m.rateLimitHeaders(m.rateLimiter({ limit: 1, windowMs: 1000 }).consumeSync('k'), { format: 'x' as never }),
  ],
  ERR_INVALID_ARGUMENT: [
    (m) => m.rateLimiter({ limit: 1, windowMs: 1000 }).consume(1 as never),
    (m) => m.rateLimiter({ limit: 1, windowMs: 1000 }).consume('k', { cost: 0 }),
    (m) => m.rateLimiter({ limit: 1, windowMs: 1000 }).on('nope' as never, () => {}),
  ],
};

errorContractSuite({
  name: '@org/ratelimit',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.rateLimitErrorCodes,
  guard: (m) => m.isRateLimitError,
  triggers,
});
