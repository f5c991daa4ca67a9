// Every TypeScript example in the adapters' READMEs (and this package's) type-checks against the built packages, as a
// user would compile it: each ```ts block is a module of its own, strict, with the repository's compiler options. The
// examples' own modules (`./db.js`, `./deps.js`, `./upstream.js`) are declared below: what an app brings.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const READMES = ['packages/express', 'packages/fastify', 'packages/hono', 'tools/conformance'];

/** The app's own modules the examples import. */
const APP_MODULES: Record<string, string> = {
  'db.ts': `
    export declare const db: { notes: { find(id: string, o: { signal?: AbortSignal | null | undefined }): Promise<{ id: string }> } };
    export declare const pool: { ping(signal: AbortSignal): Promise<boolean>; end(): Promise<void> };`,
  'deps.ts': `
    import type { Redis } from 'ioredis';
    import type { RouteHandlerMethod } from 'fastify';
    export { db } from './db.js';
    export declare const redis: Redis;
    export declare const upload: RouteHandlerMethod;`,
  'upstream.ts': 'export declare const upstream: { quote(): Promise<{ price: number }> };',
};

/** The ```ts blocks of a README, with the line each starts on. */
function blocks(readme: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = [];
  const re = /^```ts\n([\s\S]*?)^```/gm;
  for (let m = re.exec(readme); m !== null; m = re.exec(readme))
    out.push({ line: readme.slice(0, m.index).split('\n').length + 1, code: m[1]! });
  return out;
}

function typeCheck(files: Record<string, string>): string[] {
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config as {
    compilerOptions: object;
  };
  const { options } = ts.convertCompilerOptionsFromJson(
    { ...base.compilerOptions, noEmit: true, isolatedDeclarations: false, declaration: false },
    root,
  );
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  const getSource = host.getSourceFile.bind(host);
  const dirExists = host.directoryExists?.bind(host);
  const dirs = new Set(Object.keys(files).map((f) => dirname(f)));
  host.readFile = (f) => files[f] ?? read(f);
  host.fileExists = (f) => f in files || exists(f);
  host.directoryExists = (d) => dirs.has(d) || (dirExists?.(d) ?? ts.sys.directoryExists(d));
  host.getSourceFile = (f, lang, onError, create) =>
    f in files ? ts.createSourceFile(f, files[f]!, lang) : getSource(f, lang, onError, create);
  const program = ts.createProgram(Object.keys(files), options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const file = d.file?.fileName.split('/').pop();
    return `${file}${where ? `:${where.line + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('README examples', () => {
  it('every ```ts block of the adapters and conformance READMEs type-checks', () => {
    // virtual files next to the suite's own sources, so packages resolve from its node_modules
    const dir = join(root, 'tools/conformance/src/__readme__');
    const files: Record<string, string> = {};
    for (const [name, code] of Object.entries(APP_MODULES)) files[join(dir, name)] = code;
    let count = 0;
    for (const pkg of READMES) {
      const readme = readFileSync(join(root, pkg, 'README.md'), 'utf8');
      for (const b of blocks(readme)) {
        files[join(dir, `${pkg.replace('/', '-')}-line-${b.line}.ts`)] = b.code;
        count++;
      }
    }
    expect(count).toBeGreaterThan(8);
    expect(typeCheck(files)).toEqual([]);
  }, 60_000);
});
