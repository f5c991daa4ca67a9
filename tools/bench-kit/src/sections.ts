// Regenerates the "Latest run" section of every packages/*/BENCHMARKS.md from its bench/results.json, without running
// any bench (`pnpm bench:sections`); `--check` only reports the files whose section differs from their results, and
// exits 1 if any does. results.test.ts runs the same comparison as a test.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_RESULTS_FILE, type BenchRun, latestRunSection, parseBenchRun, withLatestRun } from './results.js';

/** The repository root (tools/bench-kit/src → three levels up). */
export const REPO_ROOT: string = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** One package's results file, parsed, and its BENCHMARKS.md as it is and as the results say it should be. */
export interface PackageResults {
  /** `packages/<dir>`. */
  dir: string;
  run: BenchRun;
  /** Absolute path of BENCHMARKS.md. */
  benchmarksMd: string;
  current: string;
  expected: string;
}

/** Every package under `<root>/packages` that has a results file (parsed: a bad file throws, naming the field). */
export function packageResults(root: string = REPO_ROOT): PackageResults[] {
  const out: PackageResults[] = [];
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const file = join(root, 'packages', name, BENCH_RESULTS_FILE);
    if (!existsSync(file)) continue;
    const rel = `packages/${name}/${BENCH_RESULTS_FILE}`;
    const run = parseBenchRun(JSON.parse(readFileSync(file, 'utf8')), rel);
    const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as { name: string };
    if (run.package !== pkg.name) throw new TypeError(`${rel}: package is ${run.package}, expected ${pkg.name}`);
    const benchmarksMd = join(root, 'packages', name, 'BENCHMARKS.md');
    const current = existsSync(benchmarksMd) ? readFileSync(benchmarksMd, 'utf8') : `# ${pkg.name} benchmarks\n`;
    out.push({
      dir: `packages/${name}`,
      run,
      benchmarksMd,
      current,
      expected: withLatestRun(current, latestRunSection(run)),
    });
  }
  return out;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const p of packageResults()) {
    if (p.current === p.expected) continue;
    stale++;
    if (check) console.error(`${p.dir}/BENCHMARKS.md: the "Latest run" section differs from ${BENCH_RESULTS_FILE}`);
    else {
      writeFileSync(p.benchmarksMd, p.expected);
      console.log(`${p.dir}/BENCHMARKS.md: "Latest run" regenerated`);
    }
  }
  if (check && stale > 0) {
    console.error("Run `pnpm bench:sections` to regenerate them (or the package's `pnpm bench` for new figures).");
    process.exit(1);
  }
}
