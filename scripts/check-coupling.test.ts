import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { checkCoupling, declarationImports, runtimeOrgImports, staticNodeImports } from './check-coupling.mjs';

const fixtures = join(import.meta.dirname, 'fixtures');
const script = join(import.meta.dirname, 'check-coupling.mjs');

describe('coupling check', () => {
  it('reports every violation in the violating fixture', () => {
    const v: string[] = checkCoupling(join(fixtures, 'violating'));
    expect(v).toHaveLength(9);
    expect(v.join('\n')).toMatch(
      /express\/dist\/index\.cjs: built code of @org\/express loads @org\/adapter-kit\/common/,
    );
    expect(v.join('\n')).toMatch(/@org\/breaker lists @org\/retry in dependencies/);
    expect(v.join('\n')).toMatch(/retry\/src\/index\.ts: @org\/retry imports @org\/breaker at run time/);
    expect(v.join('\n')).toMatch(
      /express\/src\/index\.ts: @org\/express imports @org\/headers at run time \(adapters may use `import type` only\)/,
    );
    expect(v.join('\n')).toMatch(/main entry of @org\/logger statically imports node:os/);
    // Bundlers strip the `node:` prefix: the built entry says `from "crypto"`, `require("fs/promises")`.
    expect(v.join('\n')).toMatch(/headers\/dist\/index\.js: main entry of @org\/headers statically imports crypto \(/);
    expect(v.join('\n')).toMatch(
      /headers\/dist\/index\.cjs: main entry of @org\/headers statically imports fs\/promises/,
    );
    // Published declarations that name a package a user may not have.
    expect(v.join('\n')).toMatch(
      /express\/dist\/index\.d\.ts: declarations of @org\/express import @org\/adapter-kit\/common \(not a dependency or required peer\)/,
    );
    expect(v.join('\n')).toMatch(
      /express\/dist\/index\.d\.ts: declarations of @org\/express import @org\/headers \(an optional peer\): users without it get TS2307/,
    );
  });

  it('accepts type-only adapter imports, bundled private helpers, dev dependencies, comments and lazy node: imports', () => {
    expect(checkCoupling(join(fixtures, 'clean'))).toEqual([]);
  });

  it('exits 1 on the violating fixture and 0 on the clean one (the CLI CI runs)', () => {
    const bad = spawnSync(process.execPath, [script, join(fixtures, 'violating')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/coupling check failed \(9\)/);
    const good = spawnSync(process.execPath, [script, join(fixtures, 'clean')], { encoding: 'utf8' });
    expect(good.status).toBe(0);
  });

  it('passes on this repository', () => {
    expect(checkCoupling(join(import.meta.dirname, '..'))).toEqual([]);
  });

  it('parses import forms', () => {
    expect(runtimeOrgImports(`import type { A } from '@org/a'; export type { B } from "@org/b";`)).toEqual([]);
    expect(runtimeOrgImports(`import { type A } from '@org/a'`)).toEqual(['@org/a']);
    expect(runtimeOrgImports(`import '@org/a'; const b = require("@org/b"); await import('@org/c')`)).toEqual([
      '@org/a',
      '@org/b',
      '@org/c',
    ]);
    expect(runtimeOrgImports(`export * from '@org/a'`)).toEqual(['@org/a']);
    expect(staticNodeImports(`var a = require("node:fs"); import b from 'node:os'; await import('node:net')`)).toEqual([
      'node:fs',
      'node:os',
    ]);
    expect(
      staticNodeImports(`import { a } from "crypto"; import "v8"; require('fs/promises'); import x from './net.js'`),
    ).toEqual(['crypto', 'v8', 'fs/promises']);
    // A dependency of that name is the npm package, not the builtin.
    expect(staticNodeImports(`import { EventEmitter } from "events";`, { events: '^3' })).toEqual([]);
    expect(
      declarationImports(`/// <reference types="node" />\nimport { A } from '@org/x';\ntype B = import("y").B;`),
    ).toEqual(['@org/x', 'y', 'node']);
  });
});
