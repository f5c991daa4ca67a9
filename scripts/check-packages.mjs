#!/usr/bin/env node
// Runs publint (strict) and @arethetypeswrong/cli on every buildable package, two packages at a time. attw checks
// every module resolution a user meets (its default `strict` profile: node10, node16 from CJS, node16 from ESM,
// bundler); none is excluded: node10 is TypeScript's default with `module: commonjs`, and `typesVersions` serves the
// `/node` subpaths there. Exits non-zero naming each package that fails. Requires `pnpm build` first.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const JOBS = 2; // two cores
const dirs = ['packages', 'templates']
  .flatMap((d) => (existsSync(join(root, d)) ? readdirSync(join(root, d)).map((n) => join(root, d, n)) : []))
  .filter((d) => existsSync(join(d, 'package.json')) && existsSync(join(d, 'tsup.config.ts')));

function run(args) {
  return new Promise((resolve) => {
    const child = spawn('pnpm', args, { cwd: root });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      out += b;
    });
    child.once('error', (e) => resolve({ status: 1, out: `${e.message}: run through npx -y pnpm@10.34.8` }));
    child.once('close', (status) => resolve({ status, out: out.trim() }));
  });
}

async function checkPackage(dir) {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const lines = [];
  const failed = [];
  for (const [tool, args] of [
    ['publint', ['exec', 'publint', '--strict', dir]],
    ['attw', ['exec', 'attw', '--pack', dir, '--profile', 'strict', '--format', 'ascii']],
  ]) {
    const r = await run(args);
    if (r.status !== 0) {
      failed.push(`${name} (${tool})`);
      lines.push(`✗ ${name} ${tool}\n${r.out}\n`);
    } else lines.push(`✓ ${name} ${tool}`);
  }
  return { lines, failed };
}

const results = new Array(dirs.length);
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(JOBS, dirs.length) }, async () => {
    for (let i = next++; i < dirs.length; i = next++) results[i] = await checkPackage(dirs[i]);
  }),
);
const failed = results.flatMap((r) => r.failed);
for (const r of results) for (const l of r.lines) (l.startsWith('✗') ? console.error : console.log)(l);
if (failed.length) {
  console.error(`package checks failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`package checks: ${dirs.length} packages ok`);
