import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

// Every TypeScript block of the README must type-check against the package's source, under the repo's strict config.
const pkg = fileURLToPath(new URL('..', import.meta.url));
const dir = join(pkg, `.readme-check-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('README code blocks type-check', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  mkdirSync(dir, { recursive: true });
  blocks.forEach((code, i) => {
    const src = code
      .replaceAll("from '@org/secrets/node'", "from '../src/node.js'")
      .replaceAll("from '@org/secrets'", "from '../src/index.js'");
    writeFileSync(join(dir, `block${i}.ts`), src.includes('export ') ? src : `${src}\nexport {};\n`);
  });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: { isolatedDeclarations: false, declaration: false },
      include: ['*.ts'],
    }),
  );
  const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', timeout: 60_000 });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(out).toBe('');
}, 90_000);
