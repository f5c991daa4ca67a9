#!/usr/bin/env node
// Runs publint (strict) and @arethetypeswrong/cli on every buildable package, sequentially. attw checks every module
// resolution a user meets (its default `strict` profile: node10, node16 from CJS, node16 from ESM, bundler); none is
// excluded: node10 is TypeScript's default with `module: commonjs`, and `typesVersions` serves the `/node` subpaths
// there. Exits non-zero naming each package that fails. Requires `pnpm build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'templates']
  .flatMap((d) => (existsSync(join(root, d)) ? readdirSync(join(root, d)).map((n) => join(root, d, n)) : []))
  .filter((d) => existsSync(join(d, 'package.json')) && existsSync(join(d, 'tsup.config.ts')));
const failed = [];
for (const dir of dirs) {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [tool, args] of [
    ['publint', ['exec', 'publint', '--strict', dir]],
    ['attw', ['exec', 'attw', '--pack', dir, '--profile', 'strict', '--format', 'ascii']],
  ]) {
    const r = spawnSync('pnpm', args, { cwd: root, encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`.trim();
    if (r.status !== 0) {
      failed.push(`${name} (${tool})`);
      console.error(`✗ ${name} ${tool}\n${out}\n`);
    } else console.log(`✓ ${name} ${tool}`);
  }
}
if (failed.length) {
  console.error(`package checks failed: ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`package checks: ${dirs.length} packages ok`);
