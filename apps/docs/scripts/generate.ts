// Generates every page the site does not keep in git, then the site is built by VitePress:
// - guide/<pkg>.md from each package's README (example first, links rewritten), never a second copy in git;
// - api/<pkg>.md (and api/<pkg>/<subpath>.md) from the TSDoc of every export, failing on an export without a description;
// - public/pictures/*.svg from the picture sources in scripts/pictures;
// - benchmarks/<pkg>.md and public/charts/<pkg>/*.svg from packages/<pkg>/bench/results.json where a bench wrote one;
// - parts/*.md: the landing page's pieces taken from the root README.
// Packages are discovered under packages/*, so a new package gets its pages without an edit here.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BENCH_RESULTS_FILE, type BenchRun, parseBenchRun } from '@org/bench-kit';
import { generateApi } from './lib/api.js';
import { benchmarkPage, type ChartFile, guideCharts } from './lib/charts.js';
import { guideFromReadme, rewriteLinks, sections, splitPitch, wrapVPre } from './lib/markdown.js';
import { discoverPackages, type PackageInfo, REPO_ROOT, SITE_DIR } from './lib/packages.js';
import { PICTURES } from './pictures/index.js';

const started = performance.now();
const write = (rel: string, content: string): void => {
  const file = join(SITE_DIR, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
};
const GENERATED = ['guide', 'api', 'benchmarks', 'parts', 'public/pictures', 'public/charts'];
for (const d of GENERATED) rmSync(join(SITE_DIR, d), { recursive: true, force: true });

const packages = discoverPackages();
const slugs = new Set(packages.map((p) => p.slug));
const apiPath = (spec: string, p: PackageInfo): string =>
  `/api/${p.slug}${spec === p.name ? '' : spec.slice(p.name.length)}`;

// ---------------------------------------------------------------------------------------------------- benchmarks
const runs = new Map<string, BenchRun>();
for (const p of packages) {
  const file = join(p.dir, BENCH_RESULTS_FILE);
  if (!existsSync(file)) continue;
  const rel = `packages/${p.slug}/${BENCH_RESULTS_FILE}`;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${rel}: not JSON (${(e as Error).message})`);
  }
  const run = parseBenchRun(data, rel);
  if (run.package !== p.name) throw new Error(`${rel}: package is ${run.package}, expected ${p.name}`);
  runs.set(p.slug, run);
}

const chartFiles = new Map<string, ChartFile[]>();
for (const p of packages) {
  const page = benchmarkPage(p, runs.get(p.slug));
  chartFiles.set(p.slug, page.charts);
  for (const c of page.charts) write(`public${c.path}`, c.svg);
  let md = page.markdown;
  if (p.benchmarksMd !== undefined) {
    const text = rewriteLinks(readFileSync(p.benchmarksMd, 'utf8'), p.benchmarksMd, slugs);
    const { pitch, rest } = splitPitch(text);
    md += `\n## From BENCHMARKS.md\n\n${wrapVPre(`${pitch}\n\n${rest.replace(/^(#{1,5})\s/gm, '#$1 ')}`)}`;
  }
  write(`benchmarks/${p.slug}.md`, `${md}\n[Guide](/guide/${p.slug}) · [API reference](${apiPath(p.name, p)})\n`);
}
write(
  'benchmarks/index.md',
  [
    // charts are wide: no outline column (see theme/custom.css)
    '---',
    'aside: false',
    'pageClass: picture-page',
    '---',
    '',
    '# Benchmarks',
    '',
    'Each package is measured beside the library it replaces, in one process, against a truly bare baseline. A package gets charts once its `pnpm bench` has written `bench/results.json`; the same figures are in the "Latest run" section of its `BENCHMARKS.md`. The adapters (@org/express, @org/fastify, @org/hono) are measured over HTTP by `pnpm bench:http` (requests per second under load, not time per call): those figures stay in their BENCHMARKS.md.',
    '',
    '| package | results |',
    '| --- | --- |',
    ...packages.map((p) => {
      const run = runs.get(p.slug);
      const state = run ? `${run.cases.length} charts, ${run.date.slice(0, 10)}, Node ${run.node}` : 'no results yet';
      return `| [${p.name}](/benchmarks/${p.slug}) | ${state} |`;
    }),
    '',
    // One headline chart per package: its first ours-vs-rival table. No heading per package: the search would rank
    // this page above the package's own guide for the package's name.
    '## One chart per package',
    '',
    ...packages.flatMap((p) => {
      const first = chartFiles.get(p.slug)?.find((c) => c.rivals > 0);
      return first ? [first.img, '', `[Every chart of ${p.name}](/benchmarks/${p.slug})`, ''] : [];
    }),
  ].join('\n'),
);

// ---------------------------------------------------------------------------------------------------- pictures
for (const pic of PICTURES) write(`public/pictures/${pic.file}`, pic.render());

// ---------------------------------------------------------------------------------------------------- guides
for (const p of packages) {
  const links = [
    `**API reference:** ${p.entries.map((e) => `[${e.specifier}](${apiPath(e.specifier, p)})`).join(' · ')}`,
    `**Benchmarks:** [${runs.has(p.slug) ? 'charts' : 'not measured yet'}](/benchmarks/${p.slug})`,
    ...PICTURES.filter((pic) => pic.packages.includes(p.slug)).map(
      (pic) => `**Picture:** [${pic.title}](/pictures/${pic.page})`,
    ),
  ].join(' · ');
  const source = `_This page is generated from \`packages/${p.slug}/README.md\`._`;
  const body =
    p.readme === undefined
      ? `# ${p.name}\n\n${p.description}\n\nThis package has no README yet.\n`
      : guideFromReadme(readFileSync(p.readme, 'utf8'), p.readme, slugs);
  const charts = guideCharts(p, runs.get(p.slug), chartFiles.get(p.slug) ?? []);
  write(`guide/${p.slug}.md`, `${body}\n${charts ? `${charts}\n` : ''}${links}\n\n${source}\n`);
}

// ---------------------------------------------------------------------------------------------------- landing page
const readmeFile = join(REPO_ROOT, 'README.md');
const readme = rewriteLinks(readFileSync(readmeFile, 'utf8'), readmeFile, slugs);
const { title, pitch } = splitPitch(readme);
write('parts/intro.md', `# ${title}\n\n${wrapVPre(pitch)}`);
write(
  'parts/packages.md',
  [
    '| package | what it does | API | benchmarks |',
    '| --- | --- | --- | --- |',
    ...packages.map(
      (p) =>
        `| [${p.name}](/guide/${p.slug}) | ${p.description.replace(/\|/g, '\\|')} | ${p.entries.map((e) => `[${e.specifier}](${apiPath(e.specifier, p)})`).join('<br>')} | [${runs.has(p.slug) ? 'charts' : 'not yet'}](/benchmarks/${p.slug}) |`,
    ),
    '',
  ].join('\n'),
);
const all = sections(readme);
const quick = all.find((s) => s.level === 2 && /quick start/i.test(s.title));
write('parts/quickstart.md', quick ? wrapVPre(quick.body) : 'The root README has no Quick start section.\n');
const matrix = all.find((s) => s.level >= 2 && /runtime/i.test(s.title));
write(
  'parts/runtimes.md',
  matrix
    ? wrapVPre(matrix.body)
    : "The runtime matrix is kept in the root README (`README.md`, a section whose heading names runtimes); it has none yet. Each guide lists its package's runtimes.\n",
);

// ---------------------------------------------------------------------------------------------------- API reference
const missing = await generateApi(packages, join(SITE_DIR, 'api'));
// each API page starts with what the package is, and a way back to its guide
for (const p of packages)
  for (const e of p.entries) {
    const file = join(SITE_DIR, `${apiPath(e.specifier, p).slice(1)}.md`);
    const md = readFileSync(file, 'utf8');
    const others =
      p.entries.length > 1
        ? ` · API of every entry point: ${p.entries.map((x) => `[${x.specifier}](${apiPath(x.specifier, p)})`).join(', ')}`
        : '';
    const intro = `${p.description}\n\n[Guide](/guide/${p.slug})${others}`;
    writeFileSync(file, md.replace(/^(# .*\n)/, `$1\n${intro}\n`));
  }
if (missing.length > 0) {
  console.error(`\n${missing.length} exported declarations have no description (TSDoc summary):`);
  for (const m of missing) console.error(`  ${m.entry}: ${m.kind} ${m.name}  (${m.where})`);
  console.error('\nWrite a /** … */ comment on each, then run the docs build again.');
  process.exit(1);
}
console.log(
  `docs: ${packages.length} packages, ${packages.reduce((n, p) => n + p.entries.length, 0)} API pages, ${PICTURES.length} pictures, ${runs.size} with benchmark charts (${Math.round(performance.now() - started)} ms)`,
);
