/** Retained heap per instance and per call. Needs --expose-gc (bench/index.ts runs it in a child). */
import * as cockatiel from 'cockatiel';
import Opossum from 'opossum';
import { circuitBreaker } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
};

const N = 10_000;
async function perInstance(name: string, make: () => unknown, use?: (x: any) => Promise<void>): Promise<number> {
  const keep: unknown[] = new Array(N);
  const before = heap();
  for (let i = 0; i < N; i++) keep[i] = make();
  if (use) for (let i = 0; i < N; i++) await use(keep[i]);
  const bytes = (heap() - before) / N;
  console.log(`  ${name.padEnd(44)} ${bytes.toFixed(0).padStart(6)} B`);
  keep.length = 0;
  return bytes;
}

const task = async (): Promise<number> => 1;
const failing = async (): Promise<never> => {
  throw new Error('down');
};
const use10 = async (b: { execute: (f: () => Promise<unknown>) => Promise<unknown> }) => {
  for (let i = 0; i < 10; i++) await b.execute(i % 3 === 0 ? failing : task).catch(() => {});
};

console.log('\n## retained memory per instance (heapUsed + arrayBuffers after gc, 10,000 instances)');
await perInstance('@org/breaker, fresh', () => circuitBreaker());
const used = await perInstance('@org/breaker, after 10 calls (count window 100)', () => circuitBreaker(), use10);
await perInstance(
  '@org/breaker, time window, after 10 calls',
  () => circuitBreaker({ window: { type: 'time', ms: 60_000 } }),
  use10,
);
await perInstance(
  'cockatiel ConsecutiveBreaker, after 10 calls',
  () =>
    cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: 10_000,
      breaker: new cockatiel.ConsecutiveBreaker(5),
    }),
  use10,
);
const ops: Opossum[] = [];
await perInstance(
  'opossum (timeout off), after 10 calls',
  () => {
    const o = new Opossum(task, { timeout: false });
    ops.push(o);
    return o;
  },
  async (o: Opossum) => {
    for (let i = 0; i < 10; i++) await o.fire().catch(() => {});
  },
);
for (const o of ops) o.shutdown();
ops.length = 0;

// Per call: one breaker, 1M calls (successes and failures); the heap must not grow.
const b = circuitBreaker({ consecutiveFailures: Number.POSITIVE_INFINITY, failureRateThreshold: false });
for (let i = 0; i < 10_000; i++) await b.execute(i % 2 ? task : failing).catch(() => {});
const before = heap();
const CALLS = 1_000_000;
for (let i = 0; i < CALLS; i++) await b.execute(i % 2 ? task : failing).catch(() => {});
const perCall = Math.max(0, heap() - before) / CALLS;
console.log(`  @org/breaker retained per call over 1M calls: ${perCall.toFixed(4)} B`);
console.log(JSON.stringify({ perBreaker: used, perCall }));
