/**
 * @org/breaker vs cockatiel 4 and opossum 10, in one process (both run on Node 20 here although they declare
 * Node >= 22 engines). Run: pnpm --filter @org/breaker bench
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchRun, formatNs } from '@org/bench-kit';
import * as cockatiel from 'cockatiel';
import Opossum from 'opossum';
import { bulkhead, circuitBreaker } from '../src/index.js';

// Every table that names `ours` goes to bench/results.json and BENCHMARKS.md's "Latest run" (bench.write() below).
const bench = benchRun('@org/breaker', import.meta.url);

const noop = (): void => {};
const task = async (): Promise<number> => 1;
// One preallocated error: building an Error (stack capture) costs µs and would hide the breakers' own cost.
const DOWN = new Error('down');
const failing = async (): Promise<never> => {
  throw DOWN;
};
const targets: string[] = [];
const report = (name: string, met: boolean, detail: string): void => {
  targets.push(`  ${met ? 'MET   ' : 'MISSED'} ${name}: ${detail}`);
};

/**
 * Best of `rounds` interleaved runs of `n` calls per case (awaited when the case returns a promise), in ns per call. On this shared 2-core machine the
 * medians of sub-µs operations swing 2-3x between runs; the minimum is the robust figure for CPU-bound work.
 */
async function bestOf(cases: [string, () => unknown][], rounds = 30, n = 100_000): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of cases) {
      const isAsync = fn() instanceof Promise;
      const t0 = performance.now();
      if (isAsync) for (let i = 0; i < n; i++) await fn();
      else for (let i = 0; i < n; i++) fn();
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ((performance.now() - t0) * 1e6) / n);
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Success path overhead over a bare `await fn()`.
{
  const ours = circuitBreaker();
  const ck = cockatiel.circuitBreaker(cockatiel.handleAll, {
    halfOpenAfter: 10_000,
    breaker: new cockatiel.ConsecutiveBreaker(5),
  });
  // opossum: its default 10 s per-call timeout is turned off so that it does the same work as the others.
  const op = new Opossum(task, { timeout: false });
  const res = await bench.compare(
    'success path: await execute(async () => 1)',
    [
      { name: 'bare await fn()', fn: () => task() },
      { name: '@org/breaker', fn: () => ours.execute(task) },
      { name: 'cockatiel', fn: () => ck.execute(task) },
      { name: 'opossum', fn: () => op.fire() },
    ],
    { ours: '@org/breaker', rival: ['cockatiel', 'opossum'] },
  );
  op.shutdown();
  const ns = Object.fromEntries(res.map((r) => [r.name, r.nsPerOp]));
  const bare = ns['bare await fn()']!;
  const oursOver = ns['@org/breaker']! - bare;
  const ckOver = ns.cockatiel! - bare;
  const opOver = ns.opossum! - bare;
  console.log(
    `  overhead over bare: @org/breaker ${formatNs(oursOver)}, cockatiel ${formatNs(ckOver)}, opossum ${formatNs(opOver)}` +
      ` -> ours / cockatiel = ${(oursOver / ckOver).toFixed(2)}`,
  );
  const op2 = new Opossum(task, { timeout: false });
  const b = await bestOf([
    ['bare', () => task()],
    ['ours', () => ours.execute(task)],
    ['cockatiel', () => ck.execute(task)],
    ['opossum', () => op2.fire()],
  ]);
  op2.shutdown();
  const bo = b.ours! - b.bare!;
  const bc = b.cockatiel! - b.bare!;
  console.log(
    `  best of 30: bare ${formatNs(b.bare!)}, ours ${formatNs(b.ours!)}, cockatiel ${formatNs(b.cockatiel!)}, opossum ${formatNs(b.opossum!)}` +
      ` -> overhead ours ${formatNs(bo)}, cockatiel ${formatNs(bc)}, opossum ${formatNs(b.opossum! - b.bare!)}; ours / cockatiel = ${(bo / bc).toFixed(2)}`,
  );
  report(
    'success-path overhead <= 0.5x cockatiel',
    bo <= 0.5 * bc,
    `best-of-30 ${formatNs(bo)} vs ${formatNs(bc)} (${(bo / bc).toFixed(2)}x); medians ${formatNs(oursOver)} vs ${formatNs(ckOver)} (${(oursOver / ckOver).toFixed(2)}x)`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Failure-path cost with 1k vs 1M calls in the window (flat = O(1) record).
{
  const mk = (window: { type: 'count'; size: number } | { type: 'time'; ms: number }) =>
    circuitBreaker({
      window,
      consecutiveFailures: Number.POSITIVE_INFINITY,
      failureRateThreshold: false, // never trips, but the rate is still computed after each failure
      minimumCalls: 1,
      isResultFailure: (r) => r === -1,
    });
  const fill = (b: ReturnType<typeof mk>, n: number): void => {
    for (let i = 0; i < n; i++) b.executeSync(() => i);
  };
  const c1k = mk({ type: 'count', size: 1_000 });
  const c1m = mk({ type: 'count', size: 1_000_000 });
  const t1k = mk({ type: 'time', ms: 3_600_000 });
  const t1m = mk({ type: 'time', ms: 3_600_000 });
  fill(c1k, 1_000);
  fill(c1m, 1_000_000);
  fill(t1k, 1_000);
  fill(t1m, 1_000_000);
  // (a) The breaker's own failure-recording cost: a failing result (no exception machinery), synchronous.
  const failSync = (b: ReturnType<typeof mk>) => () => b.executeSync(() => -1);
  const res = await bench.compare(
    'failure path (a): executeSync with a failing result, window holding 1k vs 1M calls',
    [
      { name: 'ours count 1k', fn: failSync(c1k) },
      { name: 'ours count 1M', fn: failSync(c1m) },
      { name: 'ours time 1k', fn: failSync(t1k) },
      { name: 'ours time 1M', fn: failSync(t1m) },
    ],
    { ours: 'ours count 1M', rounds: 21, roundMs: 60 }, // more, shorter rounds: medians of a few-ns difference need them on this machine
  );
  const med = Object.fromEntries(res.map((r) => [r.name, r.nsPerOp]));
  console.log(
    `  medians 1M / 1k: count window ${(med['ours count 1M']! / med['ours count 1k']!).toFixed(2)}x, time window ${(med['ours time 1M']! / med['ours time 1k']!).toFixed(2)}x`,
  );
  // Medians of a ~30 ns operation swing 2-3x on this shared machine; the best of 30 interleaved 200k-call runs is the
  // robust figure for a CPU-bound operation, and is what the verdict uses.
  const best: Record<string, number> = {};
  const cases = [
    ['ours count 1k', c1k],
    ['ours count 1M', c1m],
    ['ours time 1k', t1k],
    ['ours time 1M', t1m],
  ] as const;
  const failResult = (): number => -1;
  for (let r = 0; r < 30; r++) {
    for (const [name, b] of cases) {
      const n = 200_000;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) b.executeSync(failResult);
      best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, ((performance.now() - t0) * 1e6) / n);
    }
  }
  const rc = best['ours count 1M']! / best['ours count 1k']!;
  const rt = best['ours time 1M']! / best['ours time 1k']!;
  console.log(
    `  best of 30: ${cases.map(([n]) => `${n} ${formatNs(best[n]!)}`).join(', ')}` +
      `\n  best 1M / 1k: count window ${rc.toFixed(2)}x, time window ${rt.toFixed(2)}x (1.00 = flat)`,
  );
  report(
    'failure path flat from 1k to 1M calls in the window',
    rc < 1.25 && rt < 1.25,
    `best-of-30 1M/1k = ${rc.toFixed(2)}x (count), ${rt.toFixed(2)}x (time); ${formatNs(best['ours count 1M']!)} per recorded failure`,
  );

  // (b) The async path with a thrown error, against cockatiel's CountBreaker of the same sizes.
  const ckCount = (size: number) =>
    cockatiel.circuitBreaker(cockatiel.handleAll, {
      halfOpenAfter: 10_000,
      breaker: new cockatiel.CountBreaker({ threshold: 0.99, size, minimumNumberOfCalls: size }),
    });
  const ck1k = ckCount(1_000);
  const ck1m = ckCount(1_000_000);
  for (let i = 0; i < 1_000; i++) await ck1k.execute(task);
  for (let i = 0; i < 1_000_000; i++) await ck1m.execute(task);
  // Each op: one failing call then one successful call, so the rivals' windows stay below any threshold too.
  const pair = (b: { execute: (f: () => Promise<number>) => Promise<unknown> }) => async () => {
    await b.execute(failing).catch(noop);
    await b.execute(task);
  };
  await bench.compare(
    'failure path (b): await execute(throwing) + await execute(ok), window holding 1k vs 1M calls',
    [
      { name: 'ours count 1k', fn: pair(c1k) },
      { name: 'ours count 1M', fn: pair(c1m) },
      { name: 'ours time 1M', fn: pair(t1m) },
      { name: 'cockatiel count 1k', fn: pair(ck1k) },
      { name: 'cockatiel count 1M', fn: pair(ck1m) },
    ],
    { ours: 'ours count 1M', rival: 'cockatiel count 1M' },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Open rejection through tryExecute.
{
  const ours = circuitBreaker({ consecutiveFailures: 1, openMs: 2 ** 31 - 1 });
  await ours.execute(failing).catch(noop);
  const ck = cockatiel.circuitBreaker(cockatiel.handleAll, {
    halfOpenAfter: 2 ** 31 - 1,
    breaker: new cockatiel.ConsecutiveBreaker(1),
  });
  await ck.execute(failing).catch(noop);
  const op = new Opossum(failing, { timeout: false, resetTimeout: 2 ** 31 - 1, volumeThreshold: 0 });
  op.open();
  const settled = { ok: false };
  const res = await bench.compare(
    'open rejection',
    [
      { name: 'await Promise.resolve(x)', fn: () => Promise.resolve(settled) },
      { name: 'ours tryExecute', fn: () => ours.tryExecute(task) },
      { name: 'ours execute (Error)', fn: () => ours.execute(task).catch(noop) },
      { name: 'cockatiel execute', fn: () => ck.execute(task).catch(noop) },
      { name: 'opossum fire', fn: () => op.fire().catch(noop) },
    ],
    { ours: 'ours tryExecute', rival: ['cockatiel execute', 'opossum fire'] },
  );
  op.shutdown();
  const base = res[0]!.nsPerOp;
  const t = res[1]!.nsPerOp;
  // The call itself, not awaited: what the open path costs the caller before its own await.
  const sync = await bench.compare(
    'open rejection, call only (the returned promise is not awaited)',
    [
      {
        name: 'ours tryExecute',
        fn: () => {
          ours.tryExecute(task);
        },
      },
      {
        name: 'Promise.resolve({})',
        fn: () => {
          Promise.resolve({ ok: false });
        },
      },
    ],
    { ours: 'ours tryExecute' },
  );
  const bt = await bestOf([
    ['tryExecute', () => ours.tryExecute(task)],
    ['await', () => Promise.resolve(settled)],
  ]);
  const bs = await bestOf(
    [
      [
        'tryExecute',
        () => {
          ours.tryExecute(task);
        },
      ],
    ],
    30,
    200_000,
  );
  console.log(
    `  best of 30: tryExecute ${formatNs(bs.tryExecute!)} per call, ${formatNs(bt.tryExecute!)} awaited (bare await ${formatNs(bt.await!)})`,
  );
  const ts = Math.min(sync[0]!.nsPerOp, bs.tryExecute!);
  console.log(
    `  tryExecute: ${formatNs(ts)} per call, ${formatNs(t)} awaited (a bare awaited promise: ${formatNs(base)})`,
  );
  report(
    'tryExecute open rejection < 300 ns',
    ts < 300,
    `${formatNs(ts)} per call, ${formatNs(t)} including the caller's await (bare await of a resolved promise: ${formatNs(base)})`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Abort latency while waiting in a bulkhead queue.
{
  const rounds = 5_000;
  const measure = async (
    name: string,
    exec: (fn: () => Promise<unknown>, signal: AbortSignal) => Promise<unknown>,
  ): Promise<number[]> => {
    const lat: number[] = [];
    // Start from a collected heap: the sections before leave tens of MB of survivors, and the scavenges that copy
    // them (10-20 ms each on this machine) would land inside some abort -> settle windows of whichever case runs next.
    (globalThis as { gc?: () => void }).gc?.();
    for (let i = 0; i < rounds; i++) {
      let release!: () => void;
      const busy = exec(() => new Promise<void>((r) => (release = r)), new AbortController().signal);
      const ac = new AbortController();
      let t1 = 0;
      const waiting = exec(task, ac.signal).then(noop, () => {
        t1 = performance.now();
      });
      await Promise.resolve();
      const t0 = performance.now();
      ac.abort();
      if (name === 'cockatiel') {
        // Cockatiel only notices the abort when a slot frees: give it 50 ms, then free the slot.
        await new Promise((r) => setTimeout(r, 50));
      } else {
        // Ours settles on the abort itself; the guard only bounds the bench if that ever broke.
        const guard = setTimeout(() => release(), 1_000);
        await waiting;
        clearTimeout(guard);
      }
      release();
      await busy;
      await waiting;
      lat.push(t1 === 0 ? Number.POSITIVE_INFINITY : t1 - t0);
      if (name === 'cockatiel' && i >= 20) break; // the rival's latency is the slot's hold time: 20 samples do
    }
    return lat.sort((a, b) => a - b);
  };
  const ours = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
  const ck = cockatiel.bulkhead(1, 10);
  // Control: the same harness around a promise that is rejected directly (no bulkhead at all). Its tail shows how
  // long this shared machine can stall a process that has nothing to wait for.
  const ctl = await measure('control', (fn, s) =>
    s.aborted
      ? Promise.reject(s.reason)
      : fn === task
        ? new Promise((_, rej) => s.addEventListener('abort', () => rej(s.reason)))
        : fn(),
  );
  const o = await measure('@org/breaker', (fn, s) => ours.execute(fn, s));
  const c = await measure('cockatiel', (fn, s) => ck.execute(fn, s));
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
  const ms = (x: number) => (x === Number.POSITIVE_INFINITY ? 'not settled' : `${(x * 1000).toFixed(1)} µs`);
  console.log('\n## abort latency while queued in a bulkhead (abort() -> rejection handler)');
  console.log(
    `  @org/breaker  p50 ${ms(q(o, 0.5))}  p99 ${ms(q(o, 0.99))}  max ${ms(o[o.length - 1]!)}  (${o.length} runs)`,
  );
  console.log(
    `  control       p50 ${ms(q(ctl, 0.5))}  p99 ${ms(q(ctl, 0.99))}  p99.9 ${ms(q(ctl, 0.999))}  max ${ms(ctl[ctl.length - 1]!)}  (a bare promise rejected by the abort listener)`,
  );
  console.log(
    `  cockatiel     p50 ${ms(q(c, 0.5))}  p99 ${ms(q(c, 0.99))}  max ${ms(c[c.length - 1]!)}  (${c.length} runs; it only sees the abort when the running call frees its slot)`,
  );
  const over = o.filter((x) => x >= 5).length;
  report(
    'abort during bulkhead queue settles within 5 ms',
    over === 0,
    `p99 ${ms(q(o, 0.99))}, p99.9 ${ms(q(o, 0.999))}, max ${ms(o[o.length - 1]!)}; ${over} of ${o.length} runs >= 5 ms` +
      ` (control without any bulkhead: ${ctl.filter((x) => x >= 5).length} runs >= 5 ms, max ${ms(ctl[ctl.length - 1]!)})`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Retained memory, in a child with --expose-gc.
{
  const script = fileURLToPath(new URL('./memory.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], { encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    report('retained memory per breaker < 2 KB, nothing per call', false, 'memory bench failed');
  } else {
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { perBreaker: number; perCall: number };
    report(
      'retained memory per breaker < 2 KB and nothing per call',
      m.perBreaker < 2048 && m.perCall < 1,
      `${m.perBreaker.toFixed(0)} B per used breaker, ${m.perCall.toFixed(3)} B per call`,
    );
  }
}

console.log('\n## targets (issue 3)');
for (const t of targets) console.log(t);
bench.write();
