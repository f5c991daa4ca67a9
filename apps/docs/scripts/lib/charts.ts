// Ours-vs-rival bar charts (SVG) from a package's benchmark results (the format: @org/bench-kit's results.ts). Each
// chart says where its figures come from: date, host, CPU, Node version and the command that produced them.
import {
  BENCH_RESULTS_FILE,
  type BenchRun,
  type Contender,
  formatNs,
  type ResultCase,
  ratioWords,
} from '@org/bench-kit';
import { box, COLORS, esc, line, svgDocument, text, wrap } from './svg.js';

export { formatNs, ratioWords };

type Role = 'bare' | 'ours' | 'rival' | 'other';
interface Row {
  role: Role;
  c: Contender;
  note: string;
}

const ROLE_COLOR: Record<Role, [string, string]> = {
  bare: [COLORS.offFill, COLORS.off],
  ours: [COLORS.okFill, COLORS.ok],
  rival: [COLORS.infoFill, COLORS.info],
  other: [COLORS.panel, COLORS.line],
};

/** The rows of a case, in the order drawn: bare, ours, the rivals, the other variants. */
export function chartRows(k: ResultCase): Row[] {
  const rows: Row[] = [];
  if (k.bare) rows.push({ role: 'bare', c: k.bare, note: 'bare baseline' });
  rows.push({
    role: 'ours',
    c: k.ours,
    note: k.ours.vsBare !== undefined ? `${k.ours.vsBare.toFixed(2)}x bare` : 'ours',
  });
  for (const r of k.rivals) rows.push({ role: 'rival', c: r, note: ratioWords(r.oursVsRival) });
  for (const o of k.others ?? [])
    rows.push({ role: 'other', c: o, note: o.vsBare !== undefined ? `${o.vsBare.toFixed(2)}x bare` : '' });
  return rows;
}

const W = 820;
const LABEL = 230;
const BAR_X = 20 + LABEL + 10;
/** Width of the longest bar. */
export const CHART_BAR_WIDTH = 300;
const BAR_W = CHART_BAR_WIDTH;
const ROW = 30;

/** Size and the drawn bar width of each row (for tests: widths are proportional to ns/op). */
export interface ChartLayout {
  width: number;
  height: number;
  bars: Array<{ name: string; width: number }>;
}

/** Draws one case of a run. */
export function chartSvg(run: BenchRun, caseIndex: number): { svg: string; layout: ChartLayout } {
  const k = run.cases[caseIndex];
  if (k === undefined) throw new RangeError(`chart: ${run.package} has no case ${caseIndex}`);
  const rows = chartRows(k);
  const max = Math.max(...rows.map((r) => r.c.nsPerOp));
  const body: string[] = [];
  const titleLines = wrap(k.title, W - 40, 15);
  body.push(text(20, 28, titleLines, { size: 15, weight: 'bold' }));
  let y = 28 + titleLines.length * 20;
  body.push(
    text(20, y, `${run.package} · time per operation (median of interleaved rounds), shorter is faster`, {
      size: 12,
      fill: COLORS.muted,
    }),
  );
  y += 18;
  const bars: ChartLayout['bars'] = [];
  for (const r of rows) {
    const [fill, stroke] = ROLE_COLOR[r.role];
    const w = Math.max(2, Math.round((BAR_W * r.c.nsPerOp) / max));
    bars.push({ name: r.c.name, width: w });
    const label = r.c.name.length > 34 ? `${r.c.name.slice(0, 33)}…` : r.c.name;
    body.push(
      text(20 + LABEL, y + 20, label, {
        size: 12,
        anchor: 'end',
        weight: r.role === 'ours' ? 'bold' : 400,
        fill: r.role === 'other' ? COLORS.muted : COLORS.ink,
      }),
    );
    body.push(box(BAR_X, y + 6, w, ROW - 10, { fill, stroke, r: 3, width: 1.2 }));
    const spread = r.c.spread > 0 ? ` ±${Math.round(r.c.spread * 50)}%` : '';
    body.push(text(BAR_X + w + 8, y + 20, `${formatNs(r.c.nsPerOp)}${spread}`, { size: 12, mono: true }));
    body.push(
      text(W - 20, y + 20, r.note, {
        size: 12,
        anchor: 'end',
        fill: r.role === 'rival' ? (r.note.includes('faster') ? COLORS.ok : COLORS.bad) : COLORS.muted,
        weight: r.role === 'rival' ? 'bold' : 400,
      }),
    );
    y += ROW;
  }
  y += 10;
  body.push(line(20, y, W - 20, y, { color: COLORS.offFill }));
  y += 18;
  const when = `${run.date.slice(0, 10)} ${run.date.slice(11, 16)} UTC`;
  const source = wrap(
    `Measured ${when} on ${run.host.name} (${run.host.cpu}, ${run.host.cores} cores, ${run.host.os}), Node ${run.node}`,
    W - 40,
    11,
  );
  body.push(text(20, y, source, { size: 11, fill: COLORS.muted, leading: 14 }));
  y += source.length * 14;
  const cmd = wrap(`Command: ${run.command}`, W - 40, 11, true);
  body.push(text(20, y, cmd, { size: 11, fill: COLORS.muted, mono: true, leading: 14 }));
  y += cmd.length * 14 + 6;
  const svg = svgDocument(
    W,
    y,
    `${run.package}: ${k.title}`,
    `Nanoseconds per operation of ${rows.map((r) => `${r.c.name} ${formatNs(r.c.nsPerOp)}`).join(', ')}. ${source.join(' ')}. ${cmd.join(' ')}.`,
    body,
  );
  return { svg, layout: { width: W, height: y, bars } };
}

/** A file-name-safe slug of a case title. */
export const caseSlug = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60) || 'case';

/** Markdown alt text for a chart image (escaped for an HTML attribute too). */
export const chartAlt = (run: BenchRun, k: ResultCase): string => esc(`${run.package}: ${k.title}`);

/** One chart file of a package's benchmark page. */
export interface ChartFile {
  /** Site path, e.g. `/charts/retry/01-success-path.svg` (written under public/). */
  path: string;
  svg: string;
  /** The `<img>` tag that shows it at its size. */
  img: string;
  /** How many rivals the case compares ours with (0: a table of our own variants). */
  rivals: number;
}

/** The benchmark page of one package: its Markdown and the chart files it shows (site paths, under public/). */
export function benchmarkPage(
  pkg: { name: string; slug: string },
  run: BenchRun | undefined,
): { markdown: string; charts: ChartFile[] } {
  // charts are wide: no outline column (see theme/custom.css)
  const out: string[] = ['---', 'aside: false', 'pageClass: picture-page', '---', '', `# ${pkg.name} benchmarks`, ''];
  const charts: ChartFile[] = [];
  if (run === undefined) {
    out.push(
      `No benchmark results yet: \`${BENCH_RESULTS_FILE}\` is written by the package's bench (\`pnpm --filter ${pkg.name} bench\`), and its charts appear here once it has run.`,
      '',
    );
    return { markdown: out.join('\n'), charts };
  }
  out.push(
    `From \`packages/${pkg.slug}/${BENCH_RESULTS_FILE}\`, written by \`${run.command}\` on ${run.date.slice(0, 10)}. Every contender ran in the same process, interleaved round by round; each bar is the median round.`,
    '',
  );
  run.cases.forEach((k, i) => {
    const { svg, layout } = chartSvg(run, i);
    const path = `/charts/${pkg.slug}/${String(i + 1).padStart(2, '0')}-${caseSlug(k.title)}.svg`;
    const img = `<img class="chart" src="${path}" width="${layout.width}" height="${layout.height}" alt="${chartAlt(run, k)}">`;
    charts.push({ path, svg, img, rivals: k.rivals.length });
    out.push(img, '');
  });
  return { markdown: out.join('\n'), charts };
}

/** At most this many charts end a guide; the benchmark page has them all. */
export const GUIDE_CHARTS = 4;

/**
 * The charts section at the end of a package's guide: the first {@link GUIDE_CHARTS} ours-vs-rival charts of its
 * benchmark page (tables of our own variants stay on that page). Empty when the package has no results or no rival.
 */
export function guideCharts(
  pkg: { name: string; slug: string },
  run: BenchRun | undefined,
  charts: ChartFile[],
): string {
  const rival = charts.filter((c) => c.rivals > 0);
  if (run === undefined || rival.length === 0) return '';
  const more = rival.length - GUIDE_CHARTS;
  return [
    '## Benchmark charts',
    '',
    `Measured by \`${run.command}\` on ${run.date.slice(0, 10)} (Node ${run.node}); ${more > 0 ? `${more} more charts, ` : ''}every table and the earlier analyses are on the [benchmark page](/benchmarks/${pkg.slug}).`,
    '',
    ...rival.slice(0, GUIDE_CHARTS).flatMap((c) => [c.img, '']),
  ].join('\n');
}
