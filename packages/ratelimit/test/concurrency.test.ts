import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Where the tests' Redis is: REDIS_URL, else the local default (the test run's globalSetup starts it when down).
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

// 4 real processes (2 on ioredis, 2 on node-redis) x 250 concurrent requests against one Redis key, limit 100:
// exactly 100 admitted, for fixed window and GCRA.
const worker = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const prefix = `rltest:conc:${process.pid}:${Date.now()}:`;
const redis = new Redis(REDIS_URL);

interface Worker {
  c: ChildProcess;
  next(): Promise<string>;
}
const workers: Worker[] = [];

const start = (client: string): Worker => {
  const c = spawn(process.execPath, ['--import', 'tsx', worker, prefix, '250', client], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  const lines: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  let buf = '';
  c.stdout!.on('data', (b: Buffer) => {
    buf += b.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiting.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) return resolve(l);
      waiting.push(resolve);
      c.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  return { c, next };
};

beforeAll(async () => {
  for (const client of ['ioredis', 'redis', 'ioredis', 'redis']) workers.push(start(client));
  expect(await Promise.all(workers.map((w) => w.next()))).toEqual(['ready', 'ready', 'ready', 'ready']);
}, 60_000);

afterAll(async () => {
  for (const w of workers) {
    w.c.stdin!.end();
    if (w.c.exitCode === null) w.c.kill('SIGKILL');
  }
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function awayFromDayBoundary(): Promise<void> {
  // The fixed window is one UTC day on the server clock; never straddle midnight during the run.
  const [s] = (await redis.time()) as unknown as [string | number, string | number];
  const left = 86_400 - (Number(s) % 86_400);
  if (left < 30) await new Promise((r) => setTimeout(r, (left + 1) * 1000));
}

describe('4 processes x 250 concurrent consumes, limit 100, one key', () => {
  for (const algorithm of ['fixed-window', 'gcra'] as const) {
    it(`${algorithm}: exactly 100 admitted`, async () => {
      await awayFromDayBoundary();
      for (const w of workers) w.c.stdin!.write(`${algorithm} shared-${algorithm}\n`);
      const counts = (await Promise.all(workers.map((w) => w.next()))).map(Number);
      expect(counts).toHaveLength(4);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
      // A GCRA key with 100/day emits one token every 864 s, so nothing leaks in during the run.
    }, 60_000);
  }
});
