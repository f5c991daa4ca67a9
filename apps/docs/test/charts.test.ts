// The benchmark chart pipeline: a results file is checked field by field, and drawn with where it came from.
import { readFileSync } from 'node:fs';
import { parseBenchRun } from '@org/bench-kit';
import { describe, expect, it } from 'vitest';
import {
  benchmarkPage,
  CHART_BAR_WIDTH,
  chartSvg,
  formatNs,
  GUIDE_CHARTS,
  guideCharts,
  ratioWords,
} from '../scripts/lib/charts.js';

const FIXTURE = new URL('./fixtures/bench-results.json', import.meta.url);
const raw = (): any => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const F = 'fixture.json';

describe('parseBenchRun', () => {
  it('accepts a well-formed run', () => {
    const run = parseBenchRun(raw(), F);
    expect(run.cases).toHaveLength(2);
    expect(run.cases[0]!.rivals[1]!.oursVsRival).toBe(0.8);
    expect(run.cases[1]!.bare).toBeUndefined();
  });

  it.each([
    [(r: any) => (r.schema = 'org-bench/2'), 'schema must be "org-bench/1", got "org-bench/2"'],
    [(r: any) => (r.date = '5 Dec 2026'), 'date must be an ISO 8601 UTC date'],
    [(r: any) => delete r.host.cpu, 'host.cpu must be a non-empty string, got nothing'],
    [(r: any) => (r.host.cores = 0), 'host.cores must be an integer >= 1, got 0'],
    [(r: any) => (r.node = ''), 'node must be a non-empty string, got ""'],
    [(r: any) => (r.cases = []), 'cases must be a non-empty array'],
    [(r: any) => (r.cases[0].unit = 'ms'), 'cases[0].unit must be "ns/op", got "ms"'],
    [(r: any) => (r.cases[0].rivals[0].nsPerOp = -1), 'cases[0].rivals[0].nsPerOp must be a finite number > 0, got -1'],
    [(r: any) => (r.cases[0].ours.nsPerOp = null), 'cases[0].ours.nsPerOp must be a finite number > 0, got null'],
    [(r: any) => (r.cases[0].rivals = {}), 'cases[0].rivals must be an array'],
    [
      (r: any) => (r.cases[1].ours.vsBare = 2),
      'cases[1].ours.vsBare must be absent when the case has no bare baseline',
    ],
    [(r: any) => (r.cases[0].rivals[0].name = '@org/example policy'), 'cases[0] names "@org/example policy" twice'],
  ])('refuses a bad field, naming it (%#)', (spoil, message) => {
    const r = raw();
    spoil(r);
    expect(() => parseBenchRun(r, F)).toThrow(`${F}: ${message}`);
  });

  it('accepts the example of the format documented in apps/docs/README.md', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const json = /```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(json).toBeDefined();
    expect(parseBenchRun(JSON.parse(json!), 'README').cases[0]!.rivals[0]!.oursVsRival).toBe(60.2);
  });

  it('refuses a stored ratio that its figures do not give (a stale hand edit)', () => {
    const r = raw();
    r.cases[0].rivals[0].nsPerOp = 800; // ratio stays 5, figures now give 10
    r.cases[0].rivals[0].vsBare = 16;
    expect(() => parseBenchRun(r, F)).toThrow(
      'cases[0].rivals[0].oursVsRival is 5, but its nsPerOp figures give 10.000',
    );
  });
});

describe('chartSvg', () => {
  const run = parseBenchRun(raw(), F);

  it('puts date, host, CPU, Node version and command on the chart', () => {
    const { svg } = chartSvg(run, 0);
    expect(svg).toContain(
      'Measured 2026-12-05 20:14 UTC on fixture-host (Fixture CPU @ 2.00GHz, 2 cores, linux 6.1.0 x64), Node v20.20.2',
    );
    expect(svg).toContain('Command: pnpm --filter @org/example bench');
  });

  it('draws every contender with its figure and its ratio to ours', () => {
    const { svg } = chartSvg(run, 0);
    for (const name of ['bare await fn()', '@org/example policy', 'rival-a 9', 'rival-b 4', '@org/example +signal'])
      expect(svg).toContain(`>${name}<`);
    expect(svg).toContain('80.0 ns');
    expect(svg).toContain('ours 5.00x faster');
    expect(svg).toContain('ours 1.25x slower');
    expect(svg).toContain('1.60x bare');
  });

  it('bars are proportional to ns/op', () => {
    const { layout } = chartSvg(run, 0);
    const w = Object.fromEntries(layout.bars.map((b) => [b.name, b.width]));
    expect(w['rival-a 9']).toBe(CHART_BAR_WIDTH);
    expect(w['@org/example policy']).toBe(Math.round((CHART_BAR_WIDTH * 80) / 400));
    expect(w['bare await fn()']).toBe(Math.round((CHART_BAR_WIDTH * 50) / 400));
  });

  it('escapes text, so a title cannot break the SVG', () => {
    const { svg } = chartSvg(run, 0);
    expect(svg).toContain('success path &lt;first attempt&gt; &amp; friends');
    expect(svg).not.toContain('<first attempt>');
  });

  it('draws a case without a bare baseline, and refuses a case that does not exist', () => {
    expect(chartSvg(run, 1).layout.bars.map((b) => b.name)).toEqual(['@org/example tryExecute', 'rival-a 9']);
    expect(() => chartSvg(run, 2)).toThrow('chart: @org/example has no case 2');
  });

  it('formats figures as bench-kit prints them', () => {
    expect([formatNs(42.04), formatNs(1_500), formatNs(2_500_000)]).toEqual(['42.0 ns', '1.50 µs', '2.50 ms']);
    expect([ratioWords(2), ratioWords(0.5)]).toEqual(['ours 2.00x faster', 'ours 2.00x slower']);
  });
});

describe('benchmarkPage', () => {
  const run = parseBenchRun(raw(), F);

  it('shows one chart per case, at its size, and says where the figures come from', () => {
    const page = benchmarkPage({ name: '@org/example', slug: 'example' }, run);
    expect(page.charts.map((c) => c.path)).toEqual([
      '/charts/example/01-success-path-first-attempt-friends.svg',
      '/charts/example/02-open-rejection.svg',
    ]);
    expect(page.markdown).toContain(
      'From `packages/example/bench/results.json`, written by `pnpm --filter @org/example bench` on 2026-12-05.',
    );
    const { layout } = chartSvg(run, 1);
    expect(page.markdown).toContain(
      `<img class="chart" src="/charts/example/02-open-rejection.svg" width="${layout.width}" height="${layout.height}" alt="@org/example: open rejection">`,
    );
    expect(page.markdown).toContain('alt="@org/example: success path &lt;first attempt&gt; &amp; friends"');
  });

  it('says so when a package has no results yet, and shows no chart', () => {
    const page = benchmarkPage({ name: '@org/example', slug: 'example' }, undefined);
    expect(page.charts).toEqual([]);
    expect(page.markdown).toContain('No benchmark results yet: `bench/results.json` is written by the package');
  });
});

describe('guideCharts', () => {
  const run = parseBenchRun(raw(), F);
  const pkg = { name: '@org/example', slug: 'example' };

  it("ends a package's guide with its ours-vs-rival charts, saying where they come from", () => {
    const r = raw();
    r.cases[1].rivals = [];
    const own = parseBenchRun(r, F);
    const page = benchmarkPage(pkg, own);
    const md = guideCharts(pkg, own, page.charts);
    expect(md).toContain('## Benchmark charts');
    expect(md).toContain(
      'Measured by `pnpm --filter @org/example bench` on 2026-12-05 (Node v20.20.2); every table and the earlier analyses are on the [benchmark page](/benchmarks/example).',
    );
    expect(md).toContain(page.charts[0]!.img);
    expect(md).not.toContain(page.charts[1]!.path); // a table without a rival stays on the benchmark page
  });

  it(`shows at most ${GUIDE_CHARTS} charts and says how many more the benchmark page has`, () => {
    const charts = Array.from({ length: GUIDE_CHARTS + 2 }, (_, i) => ({
      path: `/c${i}.svg`,
      svg: '',
      img: `<img c${i}>`,
      rivals: 1,
    }));
    const md = guideCharts(pkg, run, charts);
    expect(md.match(/<img c\d>/g)).toEqual(charts.slice(0, GUIDE_CHARTS).map((c) => c.img));
    expect(md).toContain('(Node v20.20.2); 2 more charts, every table and the earlier analyses are on the');
  });

  it('is empty without results', () => {
    expect(guideCharts(pkg, undefined, [])).toBe('');
    expect(guideCharts(pkg, run, benchmarkPage(pkg, run).charts)).toContain('02-open-rejection.svg');
  });
});
