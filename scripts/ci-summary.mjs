#!/usr/bin/env node
// Prints the plain closing lines CI reads: "tests: N passed, N failed, N skipped" from vitest's JSON report, then the
// consumer matrix (package × check, from `pnpm check:consumers`) as a table with every skip's reason.
// Exits 1 on any failure, on an empty test run, or when a given report is missing.
import { existsSync, readFileSync } from 'node:fs';

const testsFile = process.argv[2] ?? '.tmp/vitest-results.json';
const matrixFile = process.argv[3] ?? '.tmp/consumer-matrix.json';
let failed = false;

const r = JSON.parse(readFileSync(testsFile, 'utf8'));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
if (r.numFailedTests > 0 || r.numTotalTests === 0) failed = true;

/** Columns of the matrix table: a title and the checks (cell names) it summarises. */
const COLUMNS = [
  ['install', /^install$|^readme-install$/],
  ['types', /^types:/],
  ['readme', /^readme:/],
  ['example', /^example:/],
  ['node20', /^smoke:node20(-cjs)?$/],
  ['node22', /^smoke:node22(-cjs)?$/],
  ['node22.11', /^smoke:node22\.11-cjs$/],
  ['node24', /^smoke:node24(-cjs)?$/],
  ['bun', /^smoke:bun(-cjs)?$/],
  ['deno', /^smoke:deno$/],
  ['workerd', /^smoke:workerd$/],
];

/** One table cell for a package's cells in a column: ✗ if any failed, – if all skipped, ✓ if all passed. */
function mark(cells) {
  if (cells.length === 0) return '';
  if (cells.some((c) => c.status === 'fail')) return '✗';
  if (cells.every((c) => c.status === 'skip')) return '–';
  return cells.some((c) => c.status === 'skip') ? '✓–' : '✓';
}

if (!existsSync(matrixFile)) {
  console.log(`consumer matrix: no report at ${matrixFile} (run pnpm check:consumers)`);
  failed = true;
} else {
  const m = JSON.parse(readFileSync(matrixFile, 'utf8'));
  const n = (s) => m.cells.filter((c) => c.status === s).length;
  console.log(
    `consumer matrix: ${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped ` +
      `(${m.version ?? 'no release'}, ${Math.round(m.ms / 1000)} s of which release ${Math.round(m.releaseMs / 1000)} s)`,
  );
  const pkgs = [...new Set(m.cells.map((c) => c.pkg))];
  const width = Math.max(...pkgs.map((p) => p.length), 7);
  const rows = [['package', ...COLUMNS.map(([t]) => t)]];
  for (const p of pkgs) {
    const mine = m.cells.filter((c) => c.pkg === p);
    rows.push([p, ...COLUMNS.map(([, re]) => mark(mine.filter((c) => re.test(c.check))))]);
    const unplaced = mine.filter((c) => !COLUMNS.some(([, re]) => re.test(c.check)));
    for (const c of unplaced) rows.push([`  ${c.check}`, c.status]);
  }
  for (const row of rows)
    console.log(row.map((v, i) => (i === 0 ? v.padEnd(width) : v.padEnd(COLUMNS[i - 1]?.[0].length ?? 4))).join('  '));
  for (const c of m.cells.filter((x) => x.status === 'skip')) console.log(`  skipped ${c.pkg} ${c.check}: ${c.detail}`);
  for (const c of m.cells.filter((x) => x.status === 'fail'))
    console.log(`  FAILED ${c.pkg} ${c.check}: ${(c.detail ?? '').split('\n')[0]}`);
  if (n('fail') > 0 || m.cells.length === 0) failed = true;
}
if (failed) process.exit(1);
