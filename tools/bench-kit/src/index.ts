/**
 * Side-by-side benchmark runner. Every case runs in the same process, interleaved round by round so that machine
 * noise (the other core, GC, turbo boost) hits every case alike; the figure reported is the median round.
 * Ratios are printed against the first case (the baseline) and against a named rival when one is given.
 *
 * The runner awaits what a case returns, so a bare baseline is the call itself: `{ name: 'bare', fn: () => op() }`
 * measures `await op()`. Wrapping it (`async () => await op()`) adds a promise and an await of the wrapper's own to
 * the baseline and makes every overhead over it look smaller; a case named "bare…" that is an async function is
 * refused.
 *
 * `benchRun()` records every table of a package's bench and writes them as `bench/results.json` (format: results.ts),
 * with the "Latest run" section of the package's BENCHMARKS.md regenerated from the same figures.
 */
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNs } from './format.js';
import {
  BENCH_SCHEMA,
  type BenchRun,
  latestRunSection,
  parseBenchRun,
  type ResultCase,
  resultCase,
  withLatestRun,
} from './results.js';

export { formatNs } from './format.js';
export * from './results.js';

/** One contender: sync or async, run `batch` times per sample. */
export interface BenchCase {
  /** Label printed in the table. */
  name: string;
  /** The operation. May return a promise; it is awaited. */
  fn: () => unknown;
}

/** Options for {@link compare}. */
export interface CompareOptions {
  /** Number of interleaved rounds; the median is reported. Default 7. */
  rounds?: number;
  /** Target time per case per round in milliseconds. Default 150. */
  roundMs?: number;
  /** Calls per timing sample before the clock is read again. Default: calibrated. */
  batch?: number;
  /** Case names treated as "ours" and as "rival" for the ratio line. */
  ours?: string;
  rival?: string | string[];
}

/** A case's measured figures. */
export interface CaseResult {
  name: string;
  /** Median nanoseconds per operation. */
  nsPerOp: number;
  /** Median operations per second. */
  opsPerSec: number;
  /** Relative spread of the rounds ((max-min)/median), to judge noise. */
  spread: number;
}

const now = (): number => performance.now();

const AsyncFunction = (async () => {}).constructor;
const isAsyncFunction = (f: unknown): boolean => f instanceof AsyncFunction;

async function timeBatch(fn: () => unknown, n: number): Promise<number> {
  const first = fn();
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  const t0 = now();
  if (isAsync) {
    for (let i = 0; i < n; i++) await fn();
  } else {
    for (let i = 0; i < n; i++) fn();
  }
  return now() - t0;
}

async function calibrate(fn: () => unknown, targetMs: number): Promise<number> {
  let n = 1;
  for (;;) {
    const ms = await timeBatch(fn, n);
    if (ms >= targetMs / 4 || n >= 1 << 26) return Math.max(1, Math.round((n * targetMs) / Math.max(ms, 0.001)));
    n *= 4;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Runs every case interleaved, prints a table (ns/op, ops/s, ratio to the first case) and returns the results.
 * When `ours` and `rival` are given, also prints "ours is N.NNx rival" (throughput ratio, >1 means faster).
 */
export async function compare(title: string, cases: BenchCase[], opts: CompareOptions = {}): Promise<CaseResult[]> {
  for (const c of cases) {
    if (/^bare\b/i.test(c.name) && isAsyncFunction(c.fn)) {
      throw new TypeError(
        `bench-kit: the baseline "${c.name}" is an async function, which adds an async layer of its own; pass the call itself (() => op()): the runner awaits it`,
      );
    }
  }
  const rounds = opts.rounds ?? 7;
  const roundMs = opts.roundMs ?? 150;
  const batches = new Map<BenchCase, number>();
  for (const c of cases) batches.set(c, opts.batch ?? (await calibrate(c.fn, roundMs)));
  const samples = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const n = batches.get(c)!;
      const ms = await timeBatch(c.fn, n);
      samples.get(c)!.push((ms * 1e6) / n);
    }
  }
  const results: CaseResult[] = cases.map((c) => {
    const s = samples.get(c)!;
    const ns = median(s);
    return { name: c.name, nsPerOp: ns, opsPerSec: 1e9 / ns, spread: (Math.max(...s) - Math.min(...s)) / ns };
  });
  printTable(title, results);
  if (opts.ours && opts.rival) {
    const ours = results.find((r) => r.name === opts.ours);
    for (const rn of Array.isArray(opts.rival) ? opts.rival : [opts.rival]) {
      const rival = results.find((r) => r.name === rn);
      if (ours && rival)
        console.log(`  ratio: ${ours.name} is ${(rival.nsPerOp / ours.nsPerOp).toFixed(2)}x ${rival.name}`);
    }
  }
  return results;
}

/** Prints a result table; the ratio column is throughput relative to the first row. */
export function printTable(title: string, results: CaseResult[]): void {
  const base = results[0];
  console.log(`\n## ${title}`);
  const w = Math.max(...results.map((r) => r.name.length), 4);
  console.log(
    `  ${'case'.padEnd(w)}  ${'ns/op'.padStart(11)}  ${'ops/s'.padStart(13)}  ${'vs first'.padStart(8)}  spread`,
  );
  for (const r of results) {
    const ratio = base ? base.nsPerOp / r.nsPerOp : 1;
    console.log(
      `  ${r.name.padEnd(w)}  ${formatNs(r.nsPerOp).padStart(11)}  ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(13)}  ${`${ratio.toFixed(2)}x`.padStart(8)}  ±${(r.spread * 50).toFixed(0)}%`,
    );
  }
}

/** Options for {@link benchRun}. */
export interface BenchRunOptions {
  /** The command as a user types it, written into the results. Default `pnpm --filter <package> bench`. */
  command?: string;
}

/** A package's bench run: compare() that also records each table, and the writer of the results. */
export interface BenchRecorder {
  /** compare(), and the table is recorded when `opts.ours` names a case (tables without `ours` are only printed). */
  compare(title: string, cases: BenchCase[], opts?: CompareOptions): Promise<CaseResult[]>;
  /** The tables recorded so far, in order. */
  readonly cases: readonly ResultCase[];
  /**
   * Runs `node <args>` (stdio inherited) as a part of this run: the tables the child records are added here. Returns
   * the child's exit status.
   */
  child(args: readonly string[], opts?: SpawnSyncOptions): number;
  /**
   * Writes `results.json` next to the bench script and regenerates the "Latest run" section of the package's
   * BENCHMARKS.md (when there is one). In a child started by {@link BenchRecorder.child}, hands the tables to the
   * parent instead. Returns the run written.
   */
  write(): BenchRun | undefined;
}

/** Set by {@link BenchRecorder.child}: where a child bench leaves its tables for the parent. */
const CHILD_FILE_ENV = 'ORG_BENCH_CASES_FILE';

/**
 * Starts recording a package's bench. `benchUrl` is the bench script's `import.meta.url`: the results go to
 * `results.json` beside it, the section to `../BENCHMARKS.md`.
 *
 * @example
 * const run = benchRun('@org/retry', import.meta.url);
 * await run.compare('success path', cases, { ours: '@org/retry policy', rival: 'p-retry 9' });
 * run.write();
 */
export function benchRun(pkg: string, benchUrl: string | URL, opts: BenchRunOptions = {}): BenchRecorder {
  const benchDir = dirname(fileURLToPath(benchUrl));
  const cases: ResultCase[] = [];
  const childFile = process.env[CHILD_FILE_ENV] || undefined;
  return {
    cases,
    async compare(title, list, o = {}) {
      const res = await compare(title, list, o);
      if (o.ours !== undefined) cases.push(resultCase(title, res, o.ours, o.rival ?? []));
      return res;
    },
    child(args, spawnOpts = {}) {
      const dir = mkdtempSync(join(os.tmpdir(), 'bench-kit-'));
      const file = join(dir, 'cases.json');
      try {
        const r = spawnSync(process.execPath, args, {
          stdio: 'inherit',
          ...spawnOpts,
          env: { ...(spawnOpts.env ?? process.env), [CHILD_FILE_ENV]: file },
        });
        if (r.status === 0) cases.push(...(JSON.parse(readFileSync(file, 'utf8')) as ResultCase[]));
        return r.status ?? 1;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    write() {
      if (childFile !== undefined) {
        writeFileSync(childFile, JSON.stringify(cases));
        return undefined;
      }
      const file = join(benchDir, 'results.json');
      const rel = relative(process.cwd(), file) || file;
      const cpu = os.cpus()[0]?.model.trim() || 'unknown CPU';
      // Validated before it is written: a file the docs build would refuse is never left behind.
      const run = parseBenchRun(
        {
          schema: BENCH_SCHEMA,
          package: pkg,
          date: new Date().toISOString(),
          host: {
            name: os.hostname(),
            cpu,
            cores: os.availableParallelism(),
            os: `${os.platform()} ${os.release()} ${os.arch()}`,
          },
          node: process.version,
          command: opts.command ?? `pnpm --filter ${pkg} bench`,
          cases,
        },
        rel,
      );
      writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
      const md = join(benchDir, '..', 'BENCHMARKS.md');
      let text: string | undefined;
      try {
        text = readFileSync(md, 'utf8');
      } catch {}
      if (text !== undefined) writeFileSync(md, withLatestRun(text, latestRunSection(run)));
      console.log(
        `\nresults: ${cases.length} tables written to ${rel}${text !== undefined ? ' and BENCHMARKS.md' : ''}`,
      );
      return run;
    },
  };
}
