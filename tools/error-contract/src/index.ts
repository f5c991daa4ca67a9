/**
 * Checks a package's errors against the error contract every core package follows:
 *
 * - `code`: a stable string `ERR_…`, listed in the package's exported code table and its README's errors table;
 * - `retryable`: a boolean, the value the table gives for the code;
 * - `status`: present exactly when the table gives one for the code;
 * - bad options and arguments keep the built-in `TypeError` / `RangeError` with code `ERR_INVALID_OPTION` /
 *   `ERR_INVALID_ARGUMENT`; every other error is the package's own class, recognised by its brand guard;
 * - no error (message, stack, properties, causes) carries a secret.
 *
 * Used by each package's `test/errors.test.ts`; imported by relative path, so no package depends on it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';

/** A package's table entry for one code. `retryable` is a boolean, or a word the package's README explains. */
export interface CodeInfo {
  readonly retryable: boolean | string;
  readonly status?: number;
}

/** A package's exported code table (`breakerErrorCodes`, `retryErrorCodes`, …). */
export type CodeTable = Readonly<Record<string, CodeInfo>>;

/** The codes of the built-in errors thrown for a bad option or argument. */
export const USAGE_CODES: readonly string[] = ['ERR_INVALID_OPTION', 'ERR_INVALID_ARGUMENT'];

const CODE_RE = /^ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*$/;

/** One row of a README's errors table. Backticks are stripped from every cell. */
export interface ReadmeRow {
  code: string;
  /** The class column split on `,` and `/`: `TypeError, RangeError` → both. */
  classes: string[];
  retryable: string;
  status: string;
  when: string;
}

const HEADER = ['code', 'class', 'retryable', 'status', 'when'];

/** The rows of the table in the README's `## Errors` section (columns: code, class, retryable, status, when). */
export function readmeErrorRows(readme: string): ReadmeRow[] {
  const start = readme.search(/^## Errors[ \t]*$/m);
  if (start < 0) throw new Error('the README has no "## Errors" section');
  const after = readme.slice(start + 3);
  const next = after.search(/^## /m);
  const section = next < 0 ? after : after.slice(0, next);
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string): string[] =>
    l
      .slice(1, l.trimEnd().endsWith('|') ? l.trimEnd().length - 1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll('`', '').replaceAll('\\|', '|'));
  if (lines.length < 3) throw new Error('the "## Errors" section has no table');
  const header = cells(lines[0]!).map((c) => c.toLowerCase());
  if (header.join('|') !== HEADER.join('|'))
    throw new Error(`the errors table's columns must be ${HEADER.join(', ')}; got ${header.join(', ')}`);
  return lines.slice(2).map((l) => {
    const [code = '', cls = '', retryable = '', status = '', when = ''] = cells(l);
    return {
      code,
      classes: cls
        .split(/[,/]/)
        .map((c) => c.trim())
        .filter(Boolean),
      retryable,
      status,
      when,
    };
  });
}

/** How a README writes a table's `retryable`. */
export function retryableText(v: boolean | string): string {
  if (v === true) return 'yes';
  if (v === false) return 'no';
  if (v === 'errors') return 'if all errors are';
  return v;
}

/** How a README writes a table's `status`. */
export const statusText = (s: number | undefined): string => (s === undefined ? '—' : String(s));

/**
 * The README's errors table lists exactly the codes of `table`, once each, with the same `retryable` and `status`,
 * a class and a "when" for each. Returns the rows by code.
 */
export function expectReadmeMatches(readme: string, table: CodeTable): Map<string, ReadmeRow> {
  const rows = readmeErrorRows(readme);
  const codes = rows.map((r) => r.code);
  expect(new Set(codes).size, 'a code is listed twice in the README').toBe(codes.length);
  expect([...codes].sort(), 'README errors table vs the exported code table').toEqual(Object.keys(table).sort());
  for (const r of rows) {
    const info = table[r.code]!;
    expect({ code: r.code, retryable: r.retryable, status: r.status }).toEqual({
      code: r.code,
      retryable: retryableText(info.retryable),
      status: statusText(info.status),
    });
    expect(r.classes.length, `${r.code}: class column`).toBeGreaterThan(0);
    expect(r.when.length, `${r.code}: when column`).toBeGreaterThan(0);
  }
  return new Map(rows.map((r) => [r.code, r]));
}

/** Runs `fn` and returns what it threw or rejected with; fails the test when it settles normally. */
export async function caught(fn: () => unknown): Promise<unknown> {
  let value: unknown;
  try {
    value = await fn();
  } catch (e) {
    return e;
  }
  throw new Error(`expected an error, got ${inspect(value, { depth: 1 })}`);
}

/** What {@link expectContract} checks besides the table. */
export interface ContractOptions {
  /** Class names the README lists for the code. */
  classes: readonly string[];
  /** The package's brand guard (`isBreakerError`): true for its own classes, false for the built-in usage errors. */
  guard: (e: unknown) => boolean;
  /** Values that must appear nowhere in the error: message, stack, own properties, causes (keys, secret values). */
  secrets?: readonly string[];
}

/** `err` follows the contract for `code`, with the values `table` gives. */
export function expectContract(err: unknown, code: string, table: CodeTable, o: ContractOptions): void {
  // Not `instanceof Error`: an error from another realm (a vm context standing in for another runtime) is one too.
  expect(Object.prototype.toString.call(err), `${code}: not an Error: ${inspect(err)}`).toBe('[object Error]');
  const e = err as Error & Record<string, unknown>;
  expect(e.code, `${e.name}: ${e.message}`).toBe(code);
  expect(code).toMatch(CODE_RE);
  const info = table[code];
  expect(info, `${code} is missing from the exported table`).toBeDefined();
  expect(typeof e.retryable, `${code}: retryable`).toBe('boolean');
  if (typeof info!.retryable === 'boolean') expect(e.retryable, `${code}: retryable`).toBe(info!.retryable);
  if (info!.status === undefined) expect('status' in e, `${code}: status`).toBe(false);
  else expect(e.status, `${code}: status`).toBe(info!.status);
  expect(o.classes, `${code}: the README's class column`).toContain(e.name);
  if (USAGE_CODES.includes(code)) {
    expect(e instanceof TypeError || e instanceof RangeError, `${code}: a built-in TypeError/RangeError`).toBe(true);
    expect(Object.getPrototypeOf(e) === TypeError.prototype || Object.getPrototypeOf(e) === RangeError.prototype).toBe(
      true,
    );
    expect(e.retryable).toBe(false);
    expect(Object.keys(e)).toEqual(['code', 'retryable']);
    expect(String(e.stack).split('\n')[0], 'the code in the stack, as Node writes it').toBe(
      `${e.name} [${code}]: ${e.message}`,
    );
    expect(o.guard(e), `${code}: the built-in errors carry no brand`).toBe(false);
  } else {
    expect(o.guard(e), `${code}: the package's guard recognises it`).toBe(true);
  }
  if (o.secrets !== undefined && o.secrets.length > 0) {
    const text = [e.message, String(e.stack), inspect(e, { depth: 10, showHidden: true }), safeJson(e)].join('\n');
    for (const s of o.secrets) expect(text.includes(s), `${code} carries a secret`).toBe(false);
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

const BUILT_IN =
  /(?<![\w.$])(?:new\s+)?(?:Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|DOMException)\s*\(/g;
const stripComments = (code: string): string =>
  code.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

/**
 * `file:line` of every place in `srcDir` (tests and test support excluded) that constructs a built-in error class
 * outside `errors.ts`: such an error would carry no code. `AggregateError` is allowed as a container for causes.
 */
export function builtInErrorSites(srcDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'test-support' && name !== 'node_modules') walk(p);
      } else if (/\.ts$/.test(name) && !/\.(test|bench)\.ts$/.test(name) && name !== 'errors.ts') {
        const lines = stripComments(readFileSync(p, 'utf8')).split('\n');
        lines.forEach((l, i) => {
          if (BUILT_IN.test(l)) out.push(`${relative(srcDir, p)}:${i + 1}: ${l.trim()}`);
          BUILT_IN.lastIndex = 0;
        });
      }
    }
  };
  walk(srcDir);
  return out;
}

/** One copy of a package: its source, or its built ESM or CJS files. */
export interface Copy {
  readonly kind: 'src' | 'esm' | 'cjs';
  /** Loads another entry point of the same copy: `load('node')` is `@org/x/node`. */
  load(entry: string): Promise<any>;
}

function copyOf(root: URL, kind: Copy['kind']): Copy {
  const require = createRequire(fileURLToPath(root));
  return {
    kind,
    load: async (entry) =>
      kind === 'src'
        ? import(new URL(`src/${entry}.ts`, root).href)
        : kind === 'esm'
          ? import(pathToFileURL(fileURLToPath(new URL(`dist/${entry}.js`, root))).href)
          : require(fileURLToPath(new URL(`dist/${entry}.cjs`, root))),
  };
}

/** What {@link errorContractSuite} needs to know about a package. `M` is the type of its main entry point. */
export interface SuiteOptions<M, C extends string> {
  /** `@org/breaker`. */
  name: string;
  /** The package's root directory (holds README.md, src/ and dist/). */
  root: URL;
  /** The main entry point, from source. */
  src: M;
  /** The package's exported code table, from a copy of the package. */
  table: (m: M) => Readonly<Record<C, CodeInfo>>;
  /** The package's brand guard (`isBreakerError`), from a copy of the package. */
  guard: (m: M) => (e: unknown) => boolean;
  /**
   * Ways to make each code happen for real, given a copy of the package's main entry (the source, or its built ESM or
   * CJS file) and a loader of the same copy's other entry points (`copy.load('node')`). Each must throw or reject with
   * an error of that code.
   */
  triggers: { [K in C]: ReadonlyArray<(m: M, copy: Copy) => unknown> };
  /** Values no error may contain (keys, secret values the triggers used). */
  secrets?: readonly string[];
}

/**
 * Registers the contract tests of a package: its README's errors table against its exported table, no built-in error
 * constructed outside errors.ts, the table frozen, every code triggered for real and checked, and the guard working
 * across the package's ESM and CJS builds.
 */
export function errorContractSuite<M, C extends string>(o: SuiteOptions<M, C>): void {
  const table = o.table(o.src);
  const readme = readFileSync(new URL('README.md', o.root), 'utf8');
  let classesOf = new Map<string, string[]>();
  try {
    classesOf = new Map(readmeErrorRows(readme).map((r) => [r.code, r.classes]));
  } catch {
    // the README test below says what is wrong with it
  }
  const codes = Object.keys(table) as C[];
  const srcCopy = copyOf(o.root, 'src');
  const ownCodes = codes.filter((c) => !USAGE_CODES.includes(c));

  describe(`${o.name} errors follow the error contract`, () => {
    it("the README's errors table lists exactly the exported codes, with the same retryable and status", () => {
      expectReadmeMatches(readme, table);
    });

    it('no source file constructs a built-in error outside errors.ts (it would carry no code)', () => {
      expect(builtInErrorSites(fileURLToPath(new URL('src', o.root)))).toEqual([]);
    });

    it('the table is frozen: nothing can change what a code means at run time', () => {
      expect(Object.isFrozen(table)).toBe(true);
      for (const info of Object.values<CodeInfo>(table)) expect(Object.isFrozen(info)).toBe(true);
    });

    for (const code of codes) {
      it(`${code}: every trigger produces it, with the table's retryable and status`, async () => {
        const list = o.triggers[code];
        expect(list?.length, `no trigger for ${code}`).toBeGreaterThan(0);
        for (const trigger of list) {
          const err = await caught(() => trigger(o.src, srcCopy));
          expectContract(err, code, table, {
            classes: classesOf.get(code) ?? [],
            guard: o.guard(o.src),
            ...(o.secrets === undefined ? {} : { secrets: o.secrets }),
          });
        }
      });
    }

    it('the guard recognises errors from the other build (ESM vs CJS), where instanceof cannot', async () => {
      const esmCopy = copyOf(o.root, 'esm');
      const cjsCopy = copyOf(o.root, 'cjs');
      const esm = (await esmCopy.load('index')) as M;
      const cjs = (await cjsCopy.load('index')) as M;
      expect(o.table(cjs)).toEqual(o.table(esm));
      expect(o.table(esm)).toEqual(table);
      for (const code of ownCodes) {
        const fromCjs = await caught(() => o.triggers[code][0]!(cjs, cjsCopy));
        const fromEsm = await caught(() => o.triggers[code][0]!(esm, esmCopy));
        expect((fromCjs as { code?: unknown }).code, code).toBe(code);
        expect((fromEsm as { code?: unknown }).code, code).toBe(code);
        expect(
          [o.guard(esm)(fromCjs), o.guard(o.src)(fromCjs), o.guard(cjs)(fromEsm)],
          `${code}: guards across copies`,
        ).toEqual([true, true, true]);
        expect(Object.getPrototypeOf(fromCjs) === Object.getPrototypeOf(fromEsm), `${code}: distinct classes`).toBe(
          false,
        );
      }
    });
  });
}
