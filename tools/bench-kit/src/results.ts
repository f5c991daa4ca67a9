// Benchmark results as every package's `pnpm bench` writes them (packages/<name>/bench/results.json): written by
// benchRun() (index.ts), drawn as charts by the docs site (apps/docs), summed up in each BENCHMARKS.md's "Latest run"
// section. This file is the format's definition: BENCH_SCHEMA names it, and parseBenchRun() is its validator.
import { formatNs } from './format.js';

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
export interface ResultCase {
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
  cases: ResultCase[];
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

  const cases = (run.cases as unknown[]).map((v, i): ResultCase => {
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
    const out: ResultCase = { title: str(c.title, `${p}.title`), unit: 'ns/op', ours, rivals };
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

// ---------------------------------------------------------------------------------------------------- writing

/** What compare() measured for one contender (the subset of index.ts's CaseResult a results file keeps). */
export interface Measured {
  name: string;
  nsPerOp: number;
  spread: number;
}

/** Four significant digits: more than a noisy median carries, and the stored ratios still agree to well under 1%. */
const sig = (x: number): number => Number(x.toPrecision(4));

/**
 * One compare() table as a case of a results file: `ours` and `rival` name the cases as compare()'s options do; the
 * first case named `bare…` is the bare baseline; every other case goes to `others`. Figures are rounded to four
 * significant digits and the ratios are computed from the rounded figures, so the file validates.
 */
export function resultCase(
  title: string,
  measured: readonly Measured[],
  ours: string,
  rival: string | readonly string[] = [],
): ResultCase {
  const byName = new Map(measured.map((m) => [m.name, m]));
  const find = (name: string, role: string): Measured => {
    const m = byName.get(name);
    if (m === undefined)
      throw new RangeError(
        `bench-kit: ${role} ${JSON.stringify(name)} is not a case of "${title}" (cases: ${measured.map((x) => x.name).join(', ')})`,
      );
    return m;
  };
  const rivalNames = typeof rival === 'string' ? [rival] : [...rival];
  const bareM = measured.find((m) => /^bare\b/i.test(m.name) && m.name !== ours && !rivalNames.includes(m.name));
  const bareNs = bareM === undefined ? undefined : sig(bareM.nsPerOp);
  const contender = (m: Measured): Contender => {
    const c: Contender = { name: m.name, nsPerOp: sig(m.nsPerOp), spread: sig(m.spread) };
    if (bareNs !== undefined) c.vsBare = sig(c.nsPerOp / bareNs);
    return c;
  };
  const o = contender(find(ours, 'ours'));
  const rivals = rivalNames.map((n): Rival => {
    const c = contender(find(n, 'rival'));
    return { ...c, oursVsRival: sig(c.nsPerOp / o.nsPerOp) };
  });
  const out: ResultCase = { title, unit: 'ns/op', ours: o, rivals };
  if (bareM !== undefined) out.bare = { name: bareM.name, nsPerOp: bareNs as number, spread: sig(bareM.spread) };
  const others = measured
    .filter((m) => m !== bareM && m.name !== ours && !rivalNames.includes(m.name))
    .map((m) => contender(m));
  if (others.length > 0) out.others = others;
  return out;
}

// ---------------------------------------------------------------------------------------------------- BENCHMARKS.md

/** Opens the generated "Latest run" section of a BENCHMARKS.md. */
export const LATEST_RUN_START =
  '<!-- latest-run:start (generated from bench/results.json by `pnpm bench` or `pnpm bench:sections`; do not edit) -->';
/** Closes it. */
export const LATEST_RUN_END = '<!-- latest-run:end -->';

const pct = (spread: number): string => `±${Math.round(spread * 50)}%`;
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** How a rival compares with ours, in words (as the charts say it). */
export function ratioWords(oursVsRival: number): string {
  if (oursVsRival >= 1) return `ours ${oursVsRival.toFixed(2)}x faster`;
  return `ours ${(1 / oursVsRival).toFixed(2)}x slower`;
}

/** The "Latest run" section of a BENCHMARKS.md, markers included: every figure of the run, in tables. */
export function latestRunSection(run: BenchRun): string {
  const when = `${run.date.slice(0, 10)} ${run.date.slice(11, 16)} UTC`;
  const out = [
    LATEST_RUN_START,
    '## Latest run',
    '',
    `\`${run.command}\`, ${when}, on ${run.host.name} (${run.host.cpu}, ${run.host.cores} cores, ${run.host.os}), Node ${run.node}.`,
    'Every contender ran in the same process, interleaved round by round; each figure is the median round (± half the',
    'spread of the rounds). "vs ours" is the rival\'s time over ours. The same figures are drawn on the docs site\'s',
    'benchmark page; the sections below this one are earlier, hand-written analyses.',
  ];
  for (const k of run.cases) {
    const hasBare = k.bare !== undefined;
    out.push('', `### ${k.title}`, '', `| case | time per op | spread |${hasBare ? ' vs bare |' : ''} vs ours |`);
    out.push(`| --- | ---: | ---: |${hasBare ? ' ---: |' : ''} --- |`);
    const row = (name: string, c: Contender, vsOurs: string): void => {
      const bare = hasBare ? ` ${c.vsBare === undefined ? '1.00x' : `${c.vsBare.toFixed(2)}x`} |` : '';
      out.push(`| ${name} | ${formatNs(c.nsPerOp)} | ${pct(c.spread)} |${bare} ${vsOurs} |`);
    };
    if (k.bare) row(`${cell(k.bare.name)} (bare)`, k.bare, '');
    row(`**${cell(k.ours.name)}** (ours)`, k.ours, '');
    for (const r of k.rivals) row(cell(r.name), r, ratioWords(r.oursVsRival));
    for (const o of k.others ?? []) row(cell(o.name), o, '');
  }
  out.push(LATEST_RUN_END);
  return out.join('\n');
}

/**
 * A BENCHMARKS.md with its "Latest run" section replaced by `section`; when it has none yet, the section goes before
 * the first `## ` heading (after the title and the opening paragraphs), or at the end.
 */
export function withLatestRun(markdown: string, section: string): string {
  const a = markdown.indexOf(LATEST_RUN_START);
  if (a >= 0) {
    const b = markdown.indexOf(LATEST_RUN_END, a);
    if (b < 0) throw new SyntaxError(`BENCHMARKS.md: "${LATEST_RUN_START}" is never closed by "${LATEST_RUN_END}"`);
    return markdown.slice(0, a) + section + markdown.slice(b + LATEST_RUN_END.length);
  }
  const h2 = /^## /m.exec(markdown);
  if (h2 === null) return `${markdown.replace(/\n*$/, '\n\n')}${section}\n`;
  return `${markdown.slice(0, h2.index)}${section}\n\n${markdown.slice(h2.index)}`;
}

/** The "Latest run" section currently in a BENCHMARKS.md (markers included), or undefined. */
export function currentLatestRun(markdown: string): string | undefined {
  const a = markdown.indexOf(LATEST_RUN_START);
  const b = markdown.indexOf(LATEST_RUN_END, a);
  return a < 0 || b < 0 ? undefined : markdown.slice(a, b + LATEST_RUN_END.length);
}
