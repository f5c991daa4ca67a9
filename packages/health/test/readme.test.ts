import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Every TypeScript block of the README type-checks as written (each a module of its own, `@org/health` resolving to
// this package's source), with the repository's strict compiler options.
const pkg = fileURLToPath(new URL('..', import.meta.url));
const root = join(pkg, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'health-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README', () => {
  it('has TypeScript blocks that type-check', { timeout: 60_000 }, () => {
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const files = blocks.map((code, i) => {
      const f = join(dir, `block-${i + 1}.ts`);
      writeFileSync(f, `${code}\nexport {};\n`);
      return f;
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: {
          isolatedDeclarations: false,
          declaration: false,
          typeRoots: [join(root, 'node_modules', '@types')],
          paths: { '@org/health': [join(pkg, 'src/index.ts')], '@org/health/node': [join(pkg, 'src/node.ts')] },
        },
        files,
      }),
    );
    let out = '';
    try {
      execFileSync(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')],
        {
          encoding: 'utf8',
        },
      );
    } catch (e) {
      out = `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
    }
    expect(out).toBe('');
  });
});
