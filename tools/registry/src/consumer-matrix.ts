// `pnpm check:consumers [package...]`: publishes every package to a throwaway Verdaccio with changesets, then checks
// each one as a new user gets it (see matrix.ts). Writes .tmp/consumer-matrix.json (read by scripts/ci-summary.mjs)
// and exits 1 on any failed cell. The registry and every process started are stopped, also on failure.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type Cell, checkPackage } from './matrix.js';
import { releaseLocal } from './release.js';
import { readRuntimeTable } from './runtime-table.js';
import { startVerdaccio } from './verdaccio.js';
import { ROOT, workspacePackages } from './workspace.js';

/** The file CI's summary reads. */
export const RESULTS_FILE = join(ROOT, '.tmp', 'consumer-matrix.json');

/** A fingerprint of what a release could modify in the working tree (manifests, changesets). */
function treeFingerprint(): string {
  const h = createHash('sha256');
  for (const p of workspacePackages()) h.update(p.rel).update(readFileSync(join(p.dir, 'package.json')));
  for (const f of readdirSync(join(ROOT, '.changeset')).sort())
    h.update(f).update(readFileSync(join(ROOT, '.changeset', f)));
  return h.digest('hex');
}

async function pool<T>(items: readonly T[], jobs: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

async function main(args: string[]): Promise<number> {
  const t0 = performance.now();
  const before = treeFingerprint();
  const table = readRuntimeTable();
  const jobs = Number(process.env.CONSUMER_MATRIX_JOBS ?? 3);
  const workDir = mkdtempSync(join(tmpdir(), 'consumer-matrix-'));
  const registry = await startVerdaccio();
  const cells: Cell[] = [];
  let releaseMs = 0;
  let published: Awaited<ReturnType<typeof releaseLocal>> = [];
  const onSignal = () => {
    void registry.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const r0 = performance.now();
    published = await releaseLocal({ registry, log: (l) => console.log(`release: ${l}`) });
    releaseMs = Math.round(performance.now() - r0);
    console.log(`release: ${published.length} packages published as ${published[0]?.version} in ${releaseMs} ms`);
    const wanted = args.length
      ? published.filter((p) => args.some((a) => a === p.name || a === p.rel || a === `./${p.rel}`))
      : published;
    if (args.length && wanted.length !== args.length)
      throw new Error(
        `check:consumers: unknown package among ${args.join(', ')} (${published.map((p) => p.name).join(', ')})`,
      );
    for (const row of table.keys())
      if (!published.some((p) => p.name === row))
        throw new Error(`README runtime table lists ${row}, which is not published`);
    await pool(wanted, jobs, async (pub) => {
      const cs = await checkPackage(pub, {
        registry,
        published,
        table,
        workDir,
        onCell: (c) => {
          const mark = c.status === 'pass' ? '✓' : c.status === 'skip' ? '-' : '✗';
          const first = (c.detail ?? '').split('\n')[0];
          console.log(`${mark} ${c.pkg} ${c.check} (${c.ms} ms)${c.status === 'pass' ? '' : `: ${first}`}`);
        },
      });
      cells.push(...cs);
    });
  } catch (e) {
    cells.push({
      pkg: '(release)',
      check: 'release',
      status: 'fail',
      ms: 0,
      detail: e instanceof Error ? e.message : String(e),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await registry.stop();
    if (process.env.KEEP_CONSUMERS) console.log(`consumer projects kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  if (treeFingerprint() !== before)
    cells.push({
      pkg: '(release)',
      check: 'working tree unchanged',
      status: 'fail',
      ms: 0,
      detail: 'package.json or .changeset changed during the release',
    });
  const ms = Math.round(performance.now() - t0);
  const order = (c: Cell) => published.findIndex((p) => p.name === c.pkg);
  cells.sort((a, b) => order(a) - order(b));
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ version: published[0]?.version, ms, releaseMs, jobs, node: process.version, cells }, null, 2)}\n`,
  );
  const failed = cells.filter((c) => c.status === 'fail');
  for (const c of failed) console.error(`\n✗ ${c.pkg} ${c.check}\n${c.detail ?? ''}`);
  const n = (s: Cell['status']) => cells.filter((c) => c.status === s).length;
  console.log(
    `\nconsumer matrix: ${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped in ${Math.round(ms / 1000)} s (release ${Math.round(releaseMs / 1000)} s, ${jobs} packages at a time); ${relative(process.cwd(), RESULTS_FILE)}`,
  );
  return failed.length ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
