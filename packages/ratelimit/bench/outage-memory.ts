// Heap growth while Redis is down (issue: the client's offline queue kept every command the limiter gave it).
// Starts a private redis-server on a port in 7180-7189, connects, kills the server with SIGKILL, then runs CONNS
// concurrent request loops (each: consume, then yield to the event loop) for SECONDS, and prints heap (after a full
// GC) and RSS before and after, the most commands the client held unsettled at once, and the decisions answered.
// One configuration per process, so heaps do not mix:
//   node --expose-gc --import tsx bench/outage-memory.ts unbounded   ioredis defaults, no store bound (the old behaviour)
//   node --expose-gc --import tsx bench/outage-memory.ts default     ioredis defaults, the store's default maxPending
//   node --expose-gc --import tsx bench/outage-memory.ts failfast    the README's fail-fast client, default maxPending
// Env: SECONDS (default 30), CONNS (default 400).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { rateLimiter, redisStore } from '../src/index.js';

const mode = process.argv[2] ?? 'default';
if (!['unbounded', 'default', 'failfast'].includes(mode)) throw new Error(`unknown mode ${mode}`);
const SECONDS = Number(process.env.SECONDS ?? 30);
const CONNS = Number(process.env.CONNS ?? 400);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const free = (p: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
  });
let port = 7180;
while (!(await free(port))) if (++port > 7189) throw new Error('no free port in 7180-7189');

const server = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
process.on('exit', () => server.kill('SIGKILL'));
await new Promise<void>((resolve) => {
  let out = '';
  server.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('Ready to accept connections')) resolve();
  });
});

const redis =
  mode === 'failfast'
    ? // The README's fail-fast client settings.
      new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000 })
    : new Redis({ port, host: '127.0.0.1' });
redis.on('error', () => {});
await new Promise((r) => redis.once('ready', r));

let outstanding = 0;
let most = 0;
const send = (a: string[]) => {
  outstanding++;
  if (outstanding > most) most = outstanding;
  const r = redis.call(a[0]!, ...a.slice(1));
  const done = () => {
    outstanding--;
  };
  r.then(done, done);
  return r;
};
const store = redisStore({ send, ...(mode === 'unbounded' ? { maxPending: 2 ** 31 } : {}) });
const limiter = rateLimiter({ limit: 100, windowMs: 60_000, store, onStoreError: 'allow', timeoutMs: 200 });

server.kill('SIGKILL');
await new Promise((r) => server.once('exit', r));
while (redis.status === 'ready') await new Promise((r) => setTimeout(r, 10));

const mb = (n: number) => (n / 1048576).toFixed(1);
gc();
const before = process.memoryUsage();
let decisions = 0;
let stop = false;
const end = Date.now() + SECONDS * 1000;
await Promise.all(
  Array.from({ length: CONNS }, async (_, i) => {
    while (!stop) {
      await limiter.consume(`198.51.100.${i % 256}:${i}`);
      decisions++;
      if (Date.now() >= end) stop = true;
      await tick();
    }
  }),
);
const rssPeak = process.memoryUsage().rss;
gc();
const after = process.memoryUsage();
console.log(
  `${mode}: ${CONNS} loops, ${SECONDS} s, Node ${process.version}: heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MB ` +
    `(after GC), RSS ${mb(before.rss)} -> ${mb(rssPeak)} MB, most commands unsettled in the client at once: ${most}, ` +
    `still unsettled: ${outstanding}, decisions answered: ${decisions} (${Math.round(decisions / SECONDS)}/s), ` +
    `refused by maxPending: ${store.stats().refused}`,
);
redis.disconnect();
process.exit(0);
