import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROFILES, toCommonJs, typecheck } from './typecheck.js';
import { installedPackageDir, ROOT } from './workspace.js';

const mapped = (text: string, first = 1) => ({ text, lines: text.split('\n').map((_, i) => first + i) });

describe('toCommonJs', () => {
  it('keeps imports, declarations and types at the top and runs the rest in an async function', () => {
    const out = toCommonJs(
      mapped(
        [
          "import { a } from 'x';",
          'type T = { n: number };',
          'declare const db: T;',
          'const r = await a(db);',
          'export const s = r;',
          'export default { fetch: r };',
        ].join('\n'),
        40,
      ),
    );
    expect(out.text.split('\n')).toEqual([
      "import { a } from 'x';",
      'type T = { n: number };',
      'declare const db: T;',
      'async function readmeExample(): Promise<void> {',
      'const r = await a(db);',
      'const s = r;',
      'void { fetch: r };',
      '}',
      'readmeExample().catch((e: unknown) => { console.error(e); process.exitCode = 1; });',
    ]);
    // README lines survive the move: errors point at the line the reader sees.
    expect(out.lines).toEqual([40, 41, 42, 40, 43, 44, 45, 40, 40]);
  });
});

describe('typecheck', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typecheck-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const nodeTypes = installedPackageDir('@types/node', ROOT) as string;
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(nodeTypes, join(dir, 'node_modules', '@types', 'node'));
  // A published package as a user installs it: ESM and CJS declarations through exports, `types` for node10.
  const pkg = (name: string, dts: string) => {
    write(
      `node_modules/@org/${name}/package.json`,
      JSON.stringify({
        name: `@org/${name}`,
        version: '1.0.0',
        types: './index.d.cts',
        exports: { '.': { import: { types: './index.d.ts' }, require: { types: './index.d.cts' } } },
      }),
    );
    write(`node_modules/@org/${name}/index.d.ts`, dts);
    write(`node_modules/@org/${name}/index.d.cts`, dts);
  };
  pkg('good', 'export interface Opts { timeoutMs?: number }\nexport declare function make(o?: Opts): number;\n');
  // What the adapters shipped before the fix: declarations naming an unpublished package.
  pkg('leaky', "export { Opts } from '@org/private-kit';\nexport declare function make(o?: unknown): number;\n");

  it('passes good code and the expected error of a wrong option, under every profile', () => {
    const r = typecheck(dir, [
      { name: 'ok', source: mapped("import { make } from '@org/good';\nmake({ timeoutMs: 5 });", 10), origin: 'R.md' },
      {
        name: 'wrong',
        source: mapped("import { make } from '@org/good';\nmake({ timeoutMs: '5' });"),
        origin: 'case',
        expectErrors: [2322],
      },
    ]);
    expect(r.map((x) => [x.file, x.profile, x.ok])).toEqual(
      PROFILES.flatMap((p) => [
        ['ok', p, true],
        ['wrong', p, true],
      ]),
    );
  });

  it('reports errors at README lines, and a wrong option that compiles', () => {
    const r = typecheck(dir, [
      { name: 'bad', source: mapped("import { make } from '@org/good';\nmake(db);", 20), origin: 'README.md' },
      {
        name: 'lax',
        source: mapped("import { make } from '@org/good';\nmake({});"),
        origin: 'case',
        expectErrors: [2322],
      },
    ]);
    const bad = r.filter((x) => x.file === 'bad');
    expect(
      bad.every((x) => !x.ok && x.messages.some((m) => m.startsWith("README.md:21: TS2304 Cannot find name 'db'"))),
    ).toBe(true);
    const lax = r.filter((x) => x.file === 'lax');
    expect(lax.every((x) => !x.ok && /expected TS2322 .* got no error/.test(x.messages[0] ?? ''))).toBe(true);
  });

  it('fails when our declarations name a package the user cannot have (skipLibCheck is off for them)', () => {
    const r = typecheck(dir, [
      { name: 'uses', source: mapped("import { make } from '@org/leaky';\nmake(1);"), origin: 'README.md' },
    ]);
    expect(r).toHaveLength(PROFILES.length);
    for (const x of r) {
      expect(x.ok).toBe(false);
      expect(x.messages.join('\n')).toMatch(
        /node_modules\/@org\/leaky\/index\.d\.c?ts:1: TS2307 Cannot find module '@org\/private-kit'/,
      );
    }
  });
});
