/**
 * @org/secrets vs reading the environment and the secret files directly (what a service does without the package),
 * in one process. Run: pnpm --filter @org/secrets bench
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchRun } from '@org/bench-kit';
import { envProvider, secret, secrets } from '../src/index.js';
import { fileProvider } from '../src/node.js';

// Every table that names `ours` goes to bench/results.json and BENCHMARKS.md's "Latest run" (bench.write() below).
const bench = benchRun('@org/secrets', import.meta.url);

const dir = await mkdtemp(join(tmpdir(), 'org-secrets-bench-'));
const file = join(dir, 'DB_PASSWORD');
await writeFile(file, 'db-password-0123456789\n');
process.env.BENCH_API_TOKEN = 'tok_0123456789abcdef';
const CONST: string = 'tok_0123456789abcdef';

const vault = secrets({
  providers: [fileProvider({ dir }), envProvider({ prefix: 'BENCH_' })],
  secrets: { DB_PASSWORD: true, API_TOKEN: true },
});
await vault.load();
let sink = 0;

try {
  // 1. The hot path: the value of an environment secret, per request.
  await bench.compare(
    'environment secret, per request',
    [
      { name: 'bare constant', fn: () => (sink += CONST.length) },
      { name: 'process.env.X', fn: () => (sink += (process.env.BENCH_API_TOKEN as string).length) },
      { name: '@org/secrets current().reveal()', fn: () => (sink += vault.current('API_TOKEN').reveal().length) },
    ],
    { ours: '@org/secrets current().reveal()', rival: 'process.env.X' },
  );

  // 2. A file secret that may rotate: the package serves it from its cache and re-reads on change; without it, a
  //    service that wants rotations re-reads the file.
  await bench.compare(
    'file secret that may rotate, per request',
    [
      { name: 'bare constant', fn: () => (sink += CONST.length) },
      { name: 'readFileSync(file)', fn: () => (sink += readFileSync(file, 'utf8').length) },
      { name: 'await readFile(file)', fn: async () => (sink += (await readFile(file, 'utf8')).length) },
      { name: '@org/secrets await get()', fn: async () => (sink += (await vault.get('DB_PASSWORD')).reveal().length) },
    ],
    { ours: '@org/secrets await get()', rival: ['readFileSync(file)', 'await readFile(file)'] },
  );

  // 3. Comparing a client's token: constant-time equals() vs ===.
  const token = secret(CONST);
  const wrong: string = `${CONST.slice(0, -1)}X`;
  await bench.compare(
    'compare a client token (20 chars, differs at the end)',
    [
      { name: 'bare constant', fn: () => (sink += CONST.length) },
      { name: '=== (not constant-time)', fn: () => (sink += CONST === wrong ? 1 : 0) },
      { name: '@org/secrets equals()', fn: () => (sink += token.equals(wrong) ? 1 : 0) },
    ],
    { ours: '@org/secrets equals()', rival: '=== (not constant-time)' },
  );
} finally {
  await vault.close();
  await rm(dir, { recursive: true, force: true });
  if (sink === -1) console.log(sink);
}
bench.write();
