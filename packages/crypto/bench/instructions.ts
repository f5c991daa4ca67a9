/**
 * Deterministic companion to `pnpm bench` for a noisy, shared machine: CPU instructions per operation of the
 * native-backed envelope vs raw node:crypto (the same contenders as bench/index.ts), counted by valgrind's callgrind.
 * Each case runs twice, with n and 3n operations after the same warm-up, and the difference is divided by 2n, so
 * start-up and warm-up cancel out. `--single-threaded` keeps V8's background compiler and GC threads out of the count.
 * Instructions are not time (memory stalls and allocation costs differ), but they show per-call overhead exactly.
 * Run after a build, needs valgrind: pnpm --filter @org/crypto bench:instructions [--entry=<built index.js>] [bytes...]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../', import.meta.url));
if (!existsSync(join(pkg, 'dist/index.js'))) throw new Error('build first: pnpm --filter @org/crypto build');
const args = process.argv.slice(2);
const entry = args.find((a) => a.startsWith('--entry='))?.slice('--entry='.length) ?? 'dist/index.js';
const sizes = args.filter((a) => !a.startsWith('--')).map(Number);
if (sizes.length === 0) sizes.push(64, 1024, 65536, 1048576);

function instructions(which: string, size: number, warm: number, n: number): number {
  const r = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      '--smc-check=all-non-file',
      process.execPath,
      '--single-threaded',
      'bench/instructions-child.mjs',
      entry,
      which,
      String(size),
      String(warm),
      String(n),
    ],
    { cwd: pkg, encoding: 'utf8' },
  );
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`valgrind failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

const perOp = (which: string, size: number): number => {
  // Same warm-up in both runs (enough for the JIT to settle on small messages; cheap ones on large messages, where
  // per-call overhead is lost in the cipher work anyway).
  const warm = size >= 1048576 ? 30 : 2000;
  const n = size >= 1048576 ? 30 : size >= 65536 ? 1000 : 4000;
  return (instructions(which, size, warm, 3 * n) - instructions(which, size, warm, n)) / (2 * n);
};

const label = (b: number) => (b >= 1048576 ? `${b / 1048576} MiB` : b >= 1024 ? `${b / 1024} KiB` : `${b} B`);
const k = (x: number) => `${(x / 1000).toFixed(1)}k`;
console.log(`## instructions per operation of ${entry} (callgrind, node ${process.version}; ratio = raw / envelope)`);
for (const size of sizes) {
  const line: string[] = [];
  for (const op of ['decrypt', 'encrypt']) {
    const raw = perOp(`raw-${op}`, size);
    const env = perOp(`envelope-${op}`, size);
    line.push(`${op}: raw ${k(raw)}, envelope ${k(env)} (${(raw / env).toFixed(3)}x)`);
  }
  console.log(`  ${label(size).padEnd(7)} ${line.join(' | ')}`);
}
