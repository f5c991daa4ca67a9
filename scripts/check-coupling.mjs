#!/usr/bin/env node
// Zero runtime coupling, enforced.
// - A core package (packages/* that is not an adapter) may not list another @org package in dependencies,
//   peerDependencies or optionalDependencies, nor import one at runtime (src or dist).
// - An adapter (@org/express, @org/fastify, @org/hono) may import core packages' *types* only: `import type` /
//   `export type`. Its dependencies may not list @org packages (peerDependencies may, for the types).
// - A core package's main entry (and the chunks it statically loads) has no static import of a Node builtin, with or
//   without the `node:` prefix (bundlers strip it: `from 'crypto'`), so it runs on Bun, Deno and edge runtimes;
//   Node-only code lives in a subpath such as `/node`.
// - A package's published declarations (.d.ts/.d.cts/.d.mts in dist) import only what every user has: its
//   dependencies, its required peers and Node builtins. An optional peer or an unpublished package (@org/adapter-kit)
//   fails to resolve for a user without it under `skipLibCheck: false`, and silently becomes `any` with it on.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ADAPTERS = new Set(['@org/express', '@org/fastify', '@org/hono']);
// Private workspace packages an adapter may import in src because tsup bundles them (noExternal); the dist scan
// below still fails if one is left as a runtime import.
export const BUNDLED_INTO_ADAPTERS = new Set(['@org/adapter-kit']);
// The same for every package, adapter or core: one private copy of the usage errors, bundled into each dist.
export const BUNDLED_INTO_ALL = new Set(['@org/usage-errors']);
const SRC_EXT = /\.(?:[cm]?[jt]sx?)$/;
const TEST_FILE = /\.(?:test|spec|bench)\.[cm]?[jt]sx?$/;

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (SRC_EXT.test(name)) out.push(p);
  }
  return out;
}

const stripComments = (code) => code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

/**
 * Lists the @org imports of a source file that survive to run time.
 * `import type` / `export type` are erased; `import { type A } from` is NOT (verbatimModuleSyntax keeps it as a
 * side-effect import), so it counts as a runtime import.
 */
export function runtimeOrgImports(code) {
  const src = stripComments(code);
  const found = [];
  const stmt = /\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"](@org\/[^'"]+)['"]/g;
  for (let m = stmt.exec(src); m; m = stmt.exec(src)) if (!m[2]) found.push(m[4]);
  const bare = /\bimport\s*['"](@org\/[^'"]+)['"]/g;
  for (let m = bare.exec(src); m; m = bare.exec(src)) found.push(m[1]);
  const dyn = /\b(?:import|require)\s*\(\s*['"](@org\/[^'"]+)['"]\s*\)/g;
  for (let m = dyn.exec(src); m; m = dyn.exec(src)) found.push(m[1]);
  return found;
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/**
 * Lists static imports of Node builtins (ESM or CJS) in built code: `node:x`, and a bare builtin name (`crypto`,
 * `fs/promises`) unless `dependencies` names it (then it is the npm package of that name). Dynamic `import('x')` is
 * allowed: it is lazy.
 */
export function staticNodeImports(code, dependencies = {}) {
  const found = [];
  const re = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*)['"]([^'"./][^'"]*)['"]/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const spec = m[1];
    if (spec.startsWith('node:')) found.push(spec);
    else if (BUILTINS.has(spec) && !(spec.split('/')[0] in dependencies)) found.push(spec);
  }
  return found;
}

/** The packages a declaration file imports or references (`import`/`export ... from`, `import("x")`, `/// <reference types>`). */
export function declarationImports(code) {
  const found = new Set();
  const res = [
    /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"./][^'"]*)['"]/g,
    /\/\/\/\s*<reference\s+types=['"]([^'"]+)['"]/g,
  ];
  // Import statements are read with comments removed (a JSDoc @example may show `import pg from 'pg'`); triple-slash
  // references are comments themselves, so they are read from the raw text.
  const [imports, references] = res;
  const src = stripComments(code);
  for (let m = imports.exec(src); m; m = imports.exec(src)) found.add(m[1]);
  for (let m = references.exec(code); m; m = references.exec(code)) found.add(m[1]);
  return [...found];
}

const packageOf = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

function entryFiles(pkgDir, pkg) {
  const root = pkg.exports?.['.'] ?? pkg.exports;
  const files = new Set();
  const visit = (v) => {
    if (typeof v === 'string') {
      if (/\.[cm]?js$/.test(v)) files.add(resolve(pkgDir, v));
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) visit(x);
  };
  visit(root);
  return [...files];
}

function staticGraph(file, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  const re = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*)['"](\.\.?\/[^'"]+)['"]/g;
  for (let m = re.exec(code); m; m = re.exec(code)) staticGraph(resolve(dirname(file), m[1]), seen);
  return seen;
}

/** Checks every package under `<root>/packages`; returns human-readable violations (empty when clean). */
export function checkCoupling(root) {
  const violations = [];
  const pkgsDir = join(root, 'packages');
  if (!existsSync(pkgsDir)) return violations;
  for (const name of readdirSync(pkgsDir).sort()) {
    const dir = join(pkgsDir, name);
    const pjPath = join(dir, 'package.json');
    if (!existsSync(pjPath)) continue;
    const pkg = JSON.parse(readFileSync(pjPath, 'utf8'));
    const isAdapter = ADAPTERS.has(pkg.name);
    const where = relative(root, dir) || dir;
    const fields = isAdapter
      ? ['dependencies', 'optionalDependencies']
      : ['dependencies', 'peerDependencies', 'optionalDependencies'];
    for (const field of fields) {
      for (const dep of Object.keys(pkg[field] ?? {})) {
        if (dep.startsWith('@org/') && dep !== pkg.name)
          violations.push(`${where}: ${pkg.name} lists ${dep} in ${field}`);
      }
    }
    for (const file of walk(join(dir, 'src'))) {
      if (TEST_FILE.test(file)) continue;
      for (const spec of runtimeOrgImports(readFileSync(file, 'utf8'))) {
        if (spec.startsWith(`${pkg.name}/`) || spec === pkg.name) continue;
        const scope = spec.split('/').slice(0, 2).join('/');
        if (BUNDLED_INTO_ALL.has(scope) || (isAdapter && BUNDLED_INTO_ADAPTERS.has(scope))) continue;
        violations.push(
          `${relative(root, file)}: ${pkg.name} imports ${spec} at run time${isAdapter ? ' (adapters may use `import type` only)' : ''}`,
        );
      }
    }
    const optional = new Set(
      Object.keys(pkg.peerDependenciesMeta ?? {}).filter((k) => pkg.peerDependenciesMeta[k]?.optional),
    );
    const everyUserHas = new Set([
      pkg.name,
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}).filter((k) => !optional.has(k)),
    ]);
    for (const file of walk(join(dir, 'dist'))) {
      if (!/\.d\.[cm]?ts$/.test(file)) continue;
      for (const spec of declarationImports(readFileSync(file, 'utf8'))) {
        const name = packageOf(spec);
        // `/// <reference types="node" />` and builtins come from @types/node, which Node users have.
        if (spec === 'node' || spec.startsWith('node:') || BUILTINS.has(spec) || everyUserHas.has(name)) continue;
        const why = optional.has(name) ? 'an optional peer' : 'not a dependency or required peer';
        violations.push(
          `${relative(root, file)}: declarations of ${pkg.name} import ${spec} (${why}): users without it get TS2307 under skipLibCheck: false`,
        );
      }
    }
    for (const file of walk(join(dir, 'dist'))) {
      if (!/\.[cm]?js$/.test(file)) continue;
      for (const spec of runtimeOrgImports(readFileSync(file, 'utf8'))) {
        if (spec.startsWith(`${pkg.name}/`) || spec === pkg.name) continue;
        violations.push(`${relative(root, file)}: built code of ${pkg.name} loads ${spec}`);
      }
    }
    if (!isAdapter) {
      for (const entry of entryFiles(dir, pkg)) {
        for (const file of staticGraph(entry)) {
          for (const spec of staticNodeImports(readFileSync(file, 'utf8'), pkg.dependencies)) {
            violations.push(
              `${relative(root, file)}: main entry of ${pkg.name} statically imports ${spec} (move it to a /node subpath or load it at run time)`,
            );
          }
        }
      }
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const v = checkCoupling(root);
  if (v.length) {
    console.error(`coupling check failed (${v.length}):\n  ${v.join('\n  ')}`);
    process.exit(1);
  }
  console.log('coupling check: ok');
}
