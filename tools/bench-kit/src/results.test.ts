// The results files the packages' benches wrote: each validates against the format (results.ts), and each
// BENCHMARKS.md's "Latest run" section is exactly what its results file gives. And the writer itself, run for real.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  currentLatestRun,
  LATEST_RUN_END,
  LATEST_RUN_START,
  latestRunSection,
  parseBenchRun,
  resultCase,
  withLatestRun,
} from './results.js';
import { packageResults, REPO_ROOT } from './sections.js';

describe('committed results (packages/*/bench/results.json)', () => {
  const all = packageResults();

  it('every package whose bench runs in process has a results file, valid against the format', () => {
    // packageResults() parses each one (parseBenchRun throws naming the field) and checks the package name.
    // every package with a `bench` script, except the adapters' HTTP bench (requests/s of whole servers: another format)
    const withBench = readdirSync(join(REPO_ROOT, 'packages'))
      .sort()
      .filter((d) => {
        const pj = join(REPO_ROOT, 'packages', d, 'package.json');
        if (!existsSync(pj)) return false;
        const bench = (JSON.parse(readFileSync(pj, 'utf8')) as { scripts?: { bench?: string } }).scripts?.bench;
        return bench !== undefined && !bench.includes('bench:http');
      });
    expect(withBench.length).toBeGreaterThanOrEqual(8);
    expect(all.map((p) => p.dir)).toEqual(withBench.map((d) => `packages/${d}`));
    for (const p of all) {
      expect(p.run.cases.length, p.dir).toBeGreaterThan(0);
      expect(
        p.run.cases.some((k) => k.rivals.length > 0),
        `${p.dir} measures no rival`,
      ).toBe(true);
    }
  });

  it.each(all.map((p) => [p.dir, p] as const))(
    '%s/BENCHMARKS.md: the "Latest run" section is the one its results give (pnpm bench:sections)',
    (_dir, p) => {
      expect(currentLatestRun(p.current)).toBe(latestRunSection(p.run));
    },
  );
});

const FIXTURE = {
  schema: 'org-bench/1',
  package: '@org/example',
  date: '2026-12-05T20:14:03.000Z',
  host: { name: 'h', cpu: 'c', cores: 2, os: 'linux 6.1.0 x64' },
  node: 'v20.20.2',
  command: 'pnpm --filter @org/example bench',
  cases: [
    resultCase(
      'success | path',
      [
        { name: 'bare await fn()', nsPerOp: 48.2345, spread: 0.03 },
        { name: 'ours', nsPerOp: 79.9, spread: 0.05 },
        { name: 'rival', nsPerOp: 4812.3456, spread: 0.08 },
        { name: 'ours +signal', nsPerOp: 95.1, spread: 0.04 },
      ],
      'ours',
      'rival',
    ),
  ],
};

describe('resultCase', () => {
  it('sorts a table into bare, ours, rivals and others, with ratios that validate', () => {
    const k = FIXTURE.cases[0]!;
    expect(k.bare).toEqual({ name: 'bare await fn()', nsPerOp: 48.23, spread: 0.03 });
    expect(k.ours).toEqual({ name: 'ours', nsPerOp: 79.9, spread: 0.05, vsBare: 1.657 });
    expect(k.rivals).toEqual([{ name: 'rival', nsPerOp: 4812, spread: 0.08, vsBare: 99.77, oursVsRival: 60.23 }]);
    expect(k.others?.map((o) => o.name)).toEqual(['ours +signal']);
    expect(parseBenchRun(FIXTURE, 'fixture').cases[0]).toEqual(k);
  });

  it('refuses an ours or rival that is not a case of the table, naming it', () => {
    const m = [{ name: 'a', nsPerOp: 1, spread: 0 }];
    expect(() => resultCase('t', m, 'b')).toThrow('bench-kit: ours "b" is not a case of "t" (cases: a)');
    expect(() => resultCase('t', m, 'a', ['x'])).toThrow('bench-kit: rival "x" is not a case of "t"');
  });
});

describe('the "Latest run" section', () => {
  const run = parseBenchRun(FIXTURE, 'fixture');
  const section = latestRunSection(run);

  it('says where the figures come from and lists every contender', () => {
    expect(section.startsWith(LATEST_RUN_START)).toBe(true);
    expect(section.endsWith(LATEST_RUN_END)).toBe(true);
    expect(section).toContain(
      '`pnpm --filter @org/example bench`, 2026-12-05 20:14 UTC, on h (c, 2 cores, linux 6.1.0 x64), Node v20.20.2.',
    );
    expect(section).toContain('### success | path');
    expect(section).toContain('| bare await fn() (bare) | 48.2 ns | ±2% | 1.00x |  |');
    expect(section).toContain('| **ours** (ours) | 79.9 ns | ±3% | 1.66x |  |');
    expect(section).toContain('| rival | 4.81 µs | ±4% | 99.77x | ours 60.23x faster |');
  });

  it('goes before the first ## heading the first time, then replaces itself', () => {
    const md = '# x benchmarks\n\nIntro.\n\n## Older analysis\n\nText.\n';
    const once = withLatestRun(md, section);
    expect(once).toBe(`# x benchmarks\n\nIntro.\n\n${section}\n\n## Older analysis\n\nText.\n`);
    expect(withLatestRun(once, section)).toBe(once);
    const other = latestRunSection({ ...run, node: 'v24.0.0' });
    expect(withLatestRun(once, other)).toBe(once.replace(section, other));
    expect(() => withLatestRun(`${LATEST_RUN_START}\n`, section)).toThrow('is never closed');
  });

  it('drift is seen: a hand-edited figure no longer matches the section its results give', () => {
    const root = mkdtempSync(join(os.tmpdir(), 'bench-sections-'));
    try {
      const dir = join(root, 'packages', 'example');
      mkdirSync(join(dir, 'bench'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@org/example' }));
      writeFileSync(join(dir, 'bench', 'results.json'), JSON.stringify(run));
      writeFileSync(join(dir, 'BENCHMARKS.md'), withLatestRun('# b\n', section).replace('4.81 µs', '3.81 µs'));
      const [p] = packageResults(root);
      expect(p!.current).not.toBe(p!.expected);
      expect(currentLatestRun(p!.expected)).toBe(section);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('benchRun (a real bench, in its own process)', () => {
  const root = mkdtempSync(join(os.tmpdir(), 'bench-run-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("records the tables that name ours, including a child process's, and writes results and section", () => {
    const kit = pathToFileURL(join(REPO_ROOT, 'tools/bench-kit/src/index.ts')).href;
    mkdirSync(join(root, 'bench'));
    writeFileSync(join(root, 'BENCHMARKS.md'), '# example benchmarks\n\nHand-written intro.\n\n## Notes\n');
    writeFileSync(
      join(root, 'bench', 'index.mts'),
      `import { benchRun } from ${JSON.stringify(kit)};
const run = benchRun('@org/example', import.meta.url);
let sink = 0;
const o = { rounds: 3, roundMs: 5 };
if (process.argv[2] === 'child') {
  await run.compare('child table', [{ name: 'ours c', fn: () => sink++ }, { name: 'rival c', fn: () => sink-- }], { ...o, ours: 'ours c', rival: 'rival c' });
} else {
  await run.compare('parent table', [{ name: 'bare', fn: () => sink }, { name: 'ours p', fn: () => sink++ }, { name: 'rival p', fn: () => sink-- }], { ...o, ours: 'ours p', rival: ['rival p'] });
  await run.compare('printed only', [{ name: 'x', fn: () => sink++ }], o);
  if (run.child([...process.execArgv, process.argv[1], 'child']) !== 0) process.exit(1);
}
run.write();
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'index.mts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('results: 2 tables written to');
    const run = parseBenchRun(JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8')), 'written');
    expect(run.cases.map((k) => [k.title, k.bare?.name, k.ours.name, k.rivals.map((x) => x.name)])).toEqual([
      ['parent table', 'bare', 'ours p', ['rival p']],
      ['child table', undefined, 'ours c', ['rival c']],
    ]);
    expect(run.host.cores).toBe(os.availableParallelism());
    expect(run.node).toBe(process.version);
    expect(run.command).toBe('pnpm --filter @org/example bench');
    const md = readFileSync(join(root, 'BENCHMARKS.md'), 'utf8');
    expect(md.startsWith('# example benchmarks\n\nHand-written intro.\n\n<!-- latest-run:start')).toBe(true);
    expect(currentLatestRun(md)).toBe(latestRunSection(run));
    expect(existsSync(join(root, 'bench', 'results.json'))).toBe(true);
  });
});
