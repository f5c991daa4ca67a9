// Where a Redis decision spends its CPU. Runs against a private, throwaway redis-server (never the shared one): every
// case makes 100 concurrent decisions per burst on one ioredis client, interleaved over several rounds, and prints the
// median per decision of: wall time, client CPU (this process), Redis CPU (INFO cpu delta) and, from INFO commandstats,
// the Redis time of the script call (evalsha usec_per_call) and of each command the script runs.
// Usage: flock /tmp/bench.lock pnpm --filter @org/ratelimit bench:redis-cpu   (RL_ROUNDS, RL_BURSTS to change the run)
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { rateLimiter, redisStore } from '../src/index.js';

const port = await new Promise<number>((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});
const server = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
process.on('exit', () => server.kill('SIGKILL'));
await new Promise<void>((resolve) => {
  let out = '';
  server.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('Ready to accept connections')) resolve();
  });
});
const redis = new Redis({ port });
const admin = new Redis({ port });

const KEYS = Array.from({ length: 10_000 }, (_, i) => `203.0.113.${i % 256}:${i}`);
let i = 0;
const nextKey = () => KEYS[(i = (i + 1) % KEYS.length)]!;
const LIMIT = 1_000_000_000;
const send = (a: string[]) => redis.call(a[0]!, ...a.slice(1));
const floorSha = (await redis.script('LOAD', 'return 1')) as string;
const consumeOf =
  (l: { consume(k: string): Promise<unknown> }) =>
  (k: string): Promise<unknown> =>
    l.consume(k);
// Same limits as bench/index.ts.
const cases: Array<[string, (k: string) => Promise<unknown>]> = [
  ['floor: EVALSHA "return 1"', (k) => redis.call('EVALSHA', floorSha, '1', k, '1')],
  [
    'rate-limiter-flexible Redis',
    consumeOf(new RateLimiterRedis({ storeClient: redis, points: LIMIT, duration: 60, keyPrefix: 'rlf' })),
  ],
  [
    '@org/ratelimit fixed-window',
    consumeOf(rateLimiter({ algorithm: 'fixed-window', limit: LIMIT, windowMs: 60_000, store: redisStore({ send }) })),
  ],
  [
    '@org/ratelimit gcra',
    consumeOf(rateLimiter({ limit: 100_000, windowMs: 1_000_000_000, store: redisStore({ send }) })),
  ],
  [
    '@org/ratelimit sliding-window',
    consumeOf(
      rateLimiter({ algorithm: 'sliding-window', limit: LIMIT, windowMs: 60_000, store: redisStore({ send }) }),
    ),
  ],
  [
    '@org/ratelimit token-bucket',
    consumeOf(
      rateLimiter({ algorithm: 'token-bucket', limit: 100_000, windowMs: 1_000_000_000, store: redisStore({ send }) }),
    ),
  ],
];
const C = 100;
const ROUNDS = Number(process.env.RL_ROUNDS ?? 5);
const BURSTS = Number(process.env.RL_BURSTS ?? 200);
const redisCpu = async (): Promise<number> => {
  const s = (await admin.info('cpu')) as string;
  return Number(/used_cpu_user:([\d.]+)/.exec(s)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(s)![1]);
};
const burst = (f: (k: string) => Promise<unknown>) => Promise.all(Array.from({ length: C }, () => f(nextKey())));
type Sample = { wall: number; client: number; redis: number; cmds: Map<string, number> };
const samples = new Map<string, Sample[]>(cases.map(([n]) => [n, []]));
for (const [, f] of cases) for (let w = 0; w < 50; w++) await burst(f);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, f] of r % 2 ? [...cases].reverse() : cases) {
    await admin.call('CONFIG', 'RESETSTAT'); // private server
    const rc0 = await redisCpu();
    const cc0 = process.cpuUsage();
    const t0 = performance.now();
    for (let b = 0; b < BURSTS; b++) await burst(f);
    const ms = performance.now() - t0;
    const cc = process.cpuUsage(cc0);
    const rc1 = await redisCpu();
    const n = BURSTS * C;
    const cmds = new Map<string, number>();
    for (const l of ((await admin.info('commandstats')) as string).split('\n')) {
      const m = /cmdstat_(\w+):calls=(\d+),usec=(\d+)/.exec(l);
      if (m && m[1] !== 'info' && m[1] !== 'config') cmds.set(m[1]!, Number(m[3]) / n);
    }
    samples
      .get(name)!
      .push({ wall: (ms * 1000) / n, client: (cc.user + cc.system) / n, redis: ((rc1 - rc0) * 1e6) / n, cmds });
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`\n## Redis decisions, ${C} concurrent, one ioredis client: µs per decision (median of ${ROUNDS} rounds)`);
console.log(`  ${'case'.padEnd(30)}    wall  client CPU  Redis CPU  Redis time per command (µs per decision)`);
for (const [name] of cases) {
  const s = samples.get(name)!;
  const names = [...new Set(s.flatMap((x) => [...x.cmds.keys()]))];
  const cmds = names.map((c) => `${c} ${med(s.map((x) => x.cmds.get(c) ?? 0)).toFixed(2)}`).join(', ');
  console.log(
    `  ${name.padEnd(30)} ${med(s.map((x) => x.wall))
      .toFixed(2)
      .padStart(7)} ${med(s.map((x) => x.client))
      .toFixed(2)
      .padStart(11)} ${med(s.map((x) => x.redis))
      .toFixed(2)
      .padStart(10)}  ${cmds}`,
  );
}
redis.disconnect();
admin.disconnect();
server.kill('SIGKILL');
