// Type-checks code (README blocks, the wrong-option file) the way a user's project would: strict, skipLibCheck off,
// under each module resolution a user meets. One program per profile, every file a module of its own.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { joinMapped, type Mapped } from './readme.js';
import { ROOT } from './workspace.js';

/** A module-resolution setup users have. */
export type Profile = 'node16-esm' | 'node16-cjs' | 'bundler' | 'node10';

/** Every profile, in report order. */
export const PROFILES: readonly Profile[] = ['node16-esm', 'node16-cjs', 'bundler', 'node10'];

const COMMON: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: false,
  esModuleInterop: true,
  moduleDetection: ts.ModuleDetectionKind.Force,
  noEmit: true,
};

/** Compiler options and file extension of each profile. CommonJS profiles check the CommonJS form of the code. */
export const PROFILE_SETUP: Record<Profile, { options: ts.CompilerOptions; ext: string; cjs: boolean }> = {
  'node16-esm': {
    options: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 },
    ext: '.mts',
    cjs: false,
  },
  'node16-cjs': {
    options: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 },
    ext: '.cts',
    cjs: true,
  },
  bundler: {
    options: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
    ext: '.ts',
    cjs: false,
  },
  node10: {
    options: { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 },
    ext: '.ts',
    cjs: true,
  },
};

/**
 * The CommonJS form of module code: imports stay at the top, everything else runs inside an async function, because
 * CommonJS has no top-level await. Ambient (`declare`) statements and types stay at the top too. `export` keywords are dropped and `export default x` becomes an expression
 * statement, so every expression is still checked. Returns the code unchanged in meaning for a CommonJS runner.
 */
export function toCommonJs(src: Mapped): Mapped {
  const sf = ts.createSourceFile('block.ts', src.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line;
  const slice = (start: number, end: number): Mapped => {
    const text = src.text.slice(start, end).replace(/^\n+/, '');
    const skipped = src.text.slice(start, end).length - text.length;
    const first = lineOf(start + skipped);
    const n = text.split('\n').length;
    return { text, lines: src.lines.slice(first, first + n) };
  };
  const imports: Mapped[] = [];
  const body: Mapped[] = [];
  const first = src.lines[0] ?? 0;
  for (const st of sf.statements) {
    const start = st.getFullStart();
    const end = st.getEnd();
    const mods = ts.canHaveModifiers(st) ? ts.getModifiers(st) : undefined;
    if (ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st)) {
      imports.push(slice(start, end));
    } else if (
      mods?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) ||
      ts.isInterfaceDeclaration(st) ||
      ts.isTypeAliasDeclaration(st)
    ) {
      // Ambient declarations (a context's `declare const db: Db`) cannot sit in a function body, and the types they
      // name must be visible beside them; none of these emits code.
      imports.push(slice(start, end));
    } else if (ts.isExportAssignment(st)) {
      const piece = slice(start, end);
      body.push({ ...piece, text: piece.text.replace(/\bexport\s+default\s+/, 'void ') });
    } else if (ts.isExportDeclaration(st)) {
      // `export { a }` / `export * from`: nothing to run, its names are checked where they are declared
    } else {
      const piece = slice(start, end);
      const exp = mods?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (exp) {
        const at = exp.getStart(sf) - start - (src.text.slice(start, end).length - piece.text.length);
        const text = piece.text.slice(0, at) + piece.text.slice(at).replace(/^export\s+/, '');
        body.push({ ...piece, text });
      } else body.push(piece);
    }
  }
  // A trailing comment after the last statement belongs to the body too.
  const tail = slice(sf.statements.length ? sf.statements[sf.statements.length - 1]!.getEnd() : 0, src.text.length);
  if (tail.text.trim()) body.push(tail);
  const wrapper = (text: string): Mapped => ({ text, lines: [first] });
  return joinMapped([
    ...imports,
    wrapper('async function readmeExample(): Promise<void> {'),
    ...body,
    wrapper('}'),
    wrapper('readmeExample().catch((e: unknown) => { console.error(e); process.exitCode = 1; });'),
  ]);
}

/** One file to check. */
export interface CheckFile {
  /** File name without extension, unique in the run (e.g. `readme-3`). */
  name: string;
  source: Mapped;
  /** Where its lines come from, for messages (e.g. `packages/retry/README.md`). */
  origin: string;
  /** TS error codes this file must produce (all of them, and no other); none: it must compile cleanly. */
  expectErrors?: readonly number[];
}

/** The outcome of one file under one profile. */
export interface CheckResult {
  file: string;
  profile: Profile;
  ok: boolean;
  /** Messages with README coordinates: `packages/retry/README.md:42: TS2304 Cannot find name 'x'.` */
  messages: string[];
}

function format(d: ts.Diagnostic, projectDir: string, where: Map<string, { file: CheckFile; lines: number[] }>) {
  const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return { key: undefined, message: `TS${d.code} ${text}` };
  const { line } = d.file.getLineAndCharacterOfPosition(d.start);
  const own = where.get(d.file.fileName);
  if (own)
    return { key: d.file.fileName, message: `${own.file.origin}:${own.lines[line] ?? '?'}: TS${d.code} ${text}` };
  // A declaration file: name it from the repository when it is a workspace file, else from the project.
  const path = d.file.fileName.startsWith(ROOT)
    ? relative(ROOT, d.file.fileName)
    : relative(projectDir, d.file.fileName);
  return { key: undefined, message: `${path}:${line + 1}: TS${d.code} ${text}` };
}

/** A declaration file of one of our packages: installed (`node_modules/@org/`) or in the workspace. */
export function isOrgDeclaration(fileName: string): boolean {
  return (
    /\.d\.[cm]?ts$/.test(fileName) &&
    (fileName.includes('/node_modules/@org/') || fileName.startsWith(`${ROOT}/packages/`))
  );
}

/**
 * Diagnostics as `tsc` with `skipLibCheck: false` reports them for the given files: options, global, syntactic and
 * semantic. Checked files are the user's code and every declaration file of ours (in full); other libraries'
 * declarations are used as far as that code reaches, not re-verified file by file (they are not ours to fix, and
 * re-checking @types/node in every program would cost ~10 s each).
 */
function diagnostics(program: ts.Program, checked: (fileName: string) => boolean): ts.Diagnostic[] {
  const out: ts.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const sf of program.getSourceFiles()) {
    if (!checked(sf.fileName)) continue;
    out.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  return out;
}

/** A compiler host sharing parsed files across the profiles of one run (lib and @types files are parsed once). */
function cachingHost(options: ts.CompilerOptions, cache: Map<string, ts.SourceFile>): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const get = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, langVersion, onError, shouldCreate) => {
    const impliedNodeFormat = typeof langVersion === 'object' ? langVersion.impliedNodeFormat : undefined;
    const key = `${fileName}\0${impliedNodeFormat ?? ''}`;
    let sf = cache.get(key);
    if (!sf) {
      sf = get(fileName, langVersion, onError, shouldCreate);
      if (sf && fileName.includes('node_modules')) cache.set(key, sf);
    }
    return sf;
  };
  return host;
}

/** Options of {@link typecheck}. */
export interface TypecheckOptions {
  /** Default: every profile. */
  profiles?: readonly Profile[];
}

/**
 * Writes `files` under `<projectDir>/readme-check/<profile>/` (with a tsconfig.json to reproduce a failure with
 * `npx tsc -p`) and type-checks them, one program per profile. Module resolution starts from `projectDir`.
 */
export function typecheck(projectDir: string, files: readonly CheckFile[], opts: TypecheckOptions = {}): CheckResult[] {
  const profiles = opts.profiles ?? PROFILES;
  const results: CheckResult[] = [];
  const cache = new Map<string, ts.SourceFile>();
  for (const profile of profiles) {
    const setup = PROFILE_SETUP[profile];
    const dir = join(projectDir, 'readme-check', profile);
    mkdirSync(dir, { recursive: true });
    const where = new Map<string, { file: CheckFile; lines: number[] }>();
    for (const f of files) {
      const src = setup.cjs ? toCommonJs(f.source) : f.source;
      const path = join(dir, f.name + setup.ext);
      writeFileSync(path, `${src.text}\n`);
      where.set(path, { file: f, lines: src.lines });
    }
    const options = { ...COMMON, ...setup.options };
    writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfigJson(options), null, 2)}\n`);
    const program = ts.createProgram({ rootNames: [...where.keys()], options, host: cachingHost(options, cache) });
    const diags = diagnostics(program, (f) => where.has(f) || isOrgDeclaration(f));
    const perFile = new Map<string, { codes: number[]; messages: string[] }>();
    const elsewhere: string[] = [];
    for (const d of diags) {
      const { key, message } = format(d, projectDir, where);
      if (key === undefined) elsewhere.push(message);
      else {
        const e = perFile.get(key) ?? { codes: [], messages: [] };
        e.codes.push(d.code);
        e.messages.push(message);
        perFile.set(key, e);
      }
    }
    for (const [path, { file }] of where) {
      const got = perFile.get(path) ?? { codes: [], messages: [] };
      const expect = file.expectErrors ?? [];
      let ok: boolean;
      const messages = [...elsewhere, ...got.messages];
      if (expect.length === 0) ok = got.codes.length === 0 && elsewhere.length === 0;
      else {
        const missing = expect.filter((c) => !got.codes.includes(c));
        const extra = got.codes.filter((c) => !expect.includes(c));
        ok = missing.length === 0 && extra.length === 0 && elsewhere.length === 0;
        if (missing.length > 0)
          messages.unshift(
            `${file.origin}: expected ${missing.map((c) => `TS${c}`).join(', ')} (a wrong option must not compile), got ${got.codes.length ? got.codes.map((c) => `TS${c}`).join(', ') : 'no error'}`,
          );
      }
      results.push({ file: file.name, profile, ok, messages });
    }
  }
  return results;
}

/** The tsconfig.json equivalent of compiler options (for humans reproducing a failure). */
function tsconfigJson(options: ts.CompilerOptions): unknown {
  const enumName = (e: Record<string, unknown>, v: unknown) => Object.keys(e).find((k) => e[k] === v);
  return {
    compilerOptions: {
      ...options,
      target: enumName(ts.ScriptTarget, options.target),
      module: enumName(ts.ModuleKind, options.module),
      moduleResolution: enumName(ts.ModuleResolutionKind, options.moduleResolution),
      moduleDetection: 'force',
      lib: (options.lib ?? []).map((l) => l.replace(/^lib\.|\.d\.ts$/g, '')),
    },
    include: ['*.ts', '*.mts', '*.cts'],
  };
}
