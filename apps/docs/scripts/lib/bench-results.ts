// Benchmark results as every package's `pnpm bench` writes them (packages/<name>/bench/results.json), read and
// checked here and drawn as ours-vs-rival charts. This file is the format's definition: BENCH_SCHEMA names it, and
// parseBenchRun() is its validator.

/** The value of `schema` in a results file of this format. */
export const BENCH_SCHEMA = 'org-bench/1';

/** Where a package's bench writes its results, relative to the package directory. */
export const BENCH_RESULTS_FILE = 'bench/results.json';

/** One contender of a case, as bench-kit's `compare()` measured it. */
export interface Contender {
  /** The case's label in the bench table, e.g. `p-retry 9`. */
  name: string;
  /** Median nanoseconds per operation. */
  nsPerOp: number;
  /** (max − min) / median over the rounds: the noise of this figure. */
  spread: number;
  /** nsPerOp / the bare case's nsPerOp (cost relative to doing nothing extra). Present when the case has `bare`. */
  vsBare?: number;
}

/** A rival: a contender we compare against. */
export interface Rival extends Contender {
  /** rival.nsPerOp / ours.nsPerOp: the "ours is N.NNx rival" ratio bench-kit prints (> 1: ours is faster). */
  oursVsRival: number;
}

/** One `compare()` call: the same operation done by ours, each rival and (when there is one) a bare baseline. */
export interface BenchCase {
  /** compare()'s title, e.g. `success path (first attempt succeeds)`. */
  title: string;
  /** The unit of every figure: nanoseconds per operation, lower is better. */
  unit: 'ns/op';
  /** The truly bare baseline (the operation without any library), when the case has one. */
  bare?: Contender;
  /** Our package. */
  ours: Contender;
  /** Each rival measured in the same rounds. May be empty (a case of our own variants). */
  rivals: Rival[];
  /** Other cases of the same table (variants), drawn in grey. */
  others?: Contender[];
}

/** One run of one package's bench. */
export interface BenchRun {
  schema: typeof BENCH_SCHEMA;
  /** npm name, e.g. `@org/retry`. */
  package: string;
  /** When the run finished, ISO 8601 in UTC (`new Date().toISOString()`). */
  date: string;
  host: {
    /** `os.hostname()`. */
    name: string;
    /** `os.cpus()[0].model`. */
    cpu: string;
    /** `os.availableParallelism()`. */
    cores: number;
    /** `${os.platform()} ${os.release()} ${os.arch()}`. */
    os: string;
  };
  /** `process.version`, e.g. `v20.20.2`. */
  node: string;
  /** The command that produced the file, e.g. `pnpm --filter @org/retry bench`. */
  command: string;
  cases: BenchCase[];
}

class BenchFormatError extends TypeError {
  override name = 'BenchFormatError';
}

const show = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v));

/** Ratios are stored rounded; a stored one further than this from the one its figures give is refused as stale. */
const RATIO_TOLERANCE = 0.01;

/**
 * Checks a parsed results file and returns it typed. Throws a TypeError naming the file, the field and what was
 * wrong, e.g. `packages/retry/bench/results.json: cases[1].rivals[0].nsPerOp must be a finite number > 0, got -1`.
 */
export function parseBenchRun(data: unknown, file: string): BenchRun {
  const bad = (path: string, want: string, got: unknown): never => {
    throw new BenchFormatError(`${file}: ${path} must be ${want}, got ${show(got)}`);
  };
  const obj = (v: unknown, path: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : bad(path, 'an object', v);
  const str = (v: unknown, path: string): string =>
    typeof v === 'string' && v.trim() !== '' ? v : bad(path, 'a non-empty string', v);
  const pos = (v: unknown, path: string): number =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : bad(path, 'a finite number > 0', v);
  const nonNeg = (v: unknown, path: string): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : bad(path, 'a finite number >= 0', v);
  const ratio = (v: unknown, path: string, expected: number): number => {
    const r = pos(v, path);
    if (Math.abs(r - expected) > RATIO_TOLERANCE * expected)
      throw new BenchFormatError(`${file}: ${path} is ${r}, but its nsPerOp figures give ${expected.toFixed(3)}`);
    return r;
  };

  const run = obj(data, '(the file)');
  if (run.schema !== BENCH_SCHEMA) bad('schema', JSON.stringify(BENCH_SCHEMA), run.schema);
  const date = str(run.date, 'date');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(date) || Number.isNaN(Date.parse(date)))
    bad('date', 'an ISO 8601 UTC date such as 2026-12-05T20:14:03.000Z', date);
  const host = obj(run.host, 'host');
  const cores = host.cores;
  if (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 1) bad('host.cores', 'an integer >= 1', cores);
  if (!Array.isArray(run.cases) || run.cases.length === 0) bad('cases', 'a non-empty array', run.cases);

  const contender = (v: unknown, path: string, bareNs: number | undefined): Contender => {
    const c = obj(v, path);
    const out: Contender = {
      name: str(c.name, `${path}.name`),
      nsPerOp: pos(c.nsPerOp, `${path}.nsPerOp`),
      spread: nonNeg(c.spread, `${path}.spread`),
    };
    if (bareNs !== undefined) out.vsBare = ratio(c.vsBare, `${path}.vsBare`, out.nsPerOp / bareNs);
    else if (c.vsBare !== undefined) bad(`${path}.vsBare`, 'absent when the case has no bare baseline', c.vsBare);
    return out;
  };

  const cases = (run.cases as unknown[]).map((v, i): BenchCase => {
    const p = `cases[${i}]`;
    const c = obj(v, p);
    if (c.unit !== 'ns/op') bad(`${p}.unit`, '"ns/op"', c.unit);
    const bare = c.bare === undefined ? undefined : contender(c.bare, `${p}.bare`, undefined);
    const bareNs = bare?.nsPerOp;
    const ours = contender(c.ours, `${p}.ours`, bareNs);
    if (!Array.isArray(c.rivals)) bad(`${p}.rivals`, 'an array (empty when there is no rival)', c.rivals);
    const rivals = (c.rivals as unknown[]).map((r, k): Rival => {
      const rp = `${p}.rivals[${k}]`;
      const base = contender(r, rp, bareNs);
      return { ...base, oursVsRival: ratio(obj(r, rp).oursVsRival, `${rp}.oursVsRival`, base.nsPerOp / ours.nsPerOp) };
    });
    if (c.others !== undefined && !Array.isArray(c.others)) bad(`${p}.others`, 'an array when present', c.others);
    const others = ((c.others as unknown[] | undefined) ?? []).map((o, k) => contender(o, `${p}.others[${k}]`, bareNs));
    const names = [bare, ours, ...rivals, ...others].filter((x) => x !== undefined).map((x) => x.name);
    const dup = names.find((n, k) => names.indexOf(n) !== k);
    if (dup !== undefined) throw new BenchFormatError(`${file}: ${p} names ${JSON.stringify(dup)} twice`);
    const out: BenchCase = { title: str(c.title, `${p}.title`), unit: 'ns/op', ours, rivals };
    if (bare !== undefined) out.bare = bare;
    if (others.length > 0) out.others = others;
    return out;
  });

  return {
    schema: BENCH_SCHEMA,
    package: str(run.package, 'package'),
    date,
    host: {
      name: str(host.name, 'host.name'),
      cpu: str(host.cpu, 'host.cpu'),
      cores: cores as number,
      os: str(host.os, 'host.os'),
    },
    node: str(run.node, 'node'),
    command: str(run.command, 'command'),
    cases,
  };
}
