/**
 * The "1 GiB file under constant memory" measurement, too slow for CI: streams a generated 1 GiB file through
 * secureStorage (put, then getStream + SHA-256 check) in a fresh `node` process running the built dist, and prints the
 * RSS before and at peak. For reference it then runs the same round trip written directly against node:crypto and
 * node:fs with no library (bench/rss-floor-child.mjs): the floor for native AES-GCM on this Node version. The same
 * round trip runs a second time with `secureStorage({ lowMemory: true })` (no per-record allocation), and a summary
 * line per run gives peak RSS and throughput side by side.
 * Run after a build: pnpm --filter @org/crypto build && pnpm --filter @org/crypto bench:rss [sizeMiB]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../', import.meta.url));
const sizeMiB = Number(process.argv[2] ?? 1024);
if (!existsSync(join(pkg, 'dist/node.js'))) throw new Error('build first: pnpm --filter @org/crypto build');
const MiB = 1024 * 1024;

const summary: string[] = [];

function run(title: string, label: string, argsFor: (dir: string) => string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'org-crypto-rss-'));
  try {
    const r = spawnSync(process.execPath, ['--expose-gc', ...argsFor(dir)], { cwd: pkg, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout) as Record<string, number | boolean>;
    const f = (k: string) => `${((m[k] as number) / MiB).toFixed(1)} MiB`;
    const speed = (k: string) => `${(sizeMiB / ((m[k] as number) / 1000)).toFixed(0)} MiB/s`;
    console.log(`## ${title}: ${sizeMiB} MiB round trip (node ${process.version})`);
    console.log(`  content identical after round trip: ${m.same}`);
    console.log(`  RSS baseline (after warm-up): ${f('baseline')}`);
    console.log(`  RSS peak during put:          ${f('peakPut')}`);
    console.log(`  RSS peak overall (maxRSS):    ${f('maxRSS')}`);
    console.log(
      `  RSS growth over baseline:     ${(((m.maxRSS as number) - (m.baseline as number)) / MiB).toFixed(1)} MiB`,
    );
    console.log(`  put ${speed('putMs')} (including fsync), get ${speed('getMs')}`);
    if (m.heapUsed !== undefined)
      console.log(
        `  at the end: heapUsed ${f('heapUsed')}, heapTotal ${f('heapTotal')}, external ${f('external')}, arrayBuffers ${f('arrayBuffers')}`,
      );
    summary.push(
      `  ${label.padEnd(22)} maxRSS ${f('maxRSS').padStart(10)}  growth ${(((m.maxRSS as number) - (m.baseline as number)) / MiB).toFixed(1).padStart(5)} MiB  put ${speed('putMs').padStart(10)}  get ${speed('getMs').padStart(10)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

run('secureStorage, built dist', 'default', (dir) => [
  'test/children/memory-child.mjs',
  dir,
  String(sizeMiB),
  'dist/index.js',
  'dist/node.js',
]);
run('secureStorage lowMemory: true, built dist', 'lowMemory: true', (dir) => [
  'test/children/memory-child.mjs',
  dir,
  String(sizeMiB),
  'dist/index.js',
  'dist/node.js',
  'lowMemory',
]);
run('floor: the same round trip on raw node:crypto + node:fs, no library', 'raw node:crypto floor', (dir) => [
  'bench/rss-floor-child.mjs',
  dir,
  String(sizeMiB),
]);
console.log(`## summary: ${sizeMiB} MiB round trip, peak RSS and throughput`);
for (const line of summary) console.log(line);
