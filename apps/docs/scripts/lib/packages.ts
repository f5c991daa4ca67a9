// Finds the published packages under packages/*: every directory with a package.json that is not private. New
// packages appear on the site without touching the docs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (three levels above this file: apps/docs/scripts/lib). */
export const REPO_ROOT: string = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
/** The VitePress source directory. */
export const SITE_DIR: string = join(REPO_ROOT, 'apps/docs/site');

/** One entry point of a package: `@org/health` or `@org/health/node`, and the source file it is built from. */
export interface EntryPoint {
  /** Import specifier, e.g. `@org/health/node`. */
  specifier: string;
  /** Absolute path of the TypeScript source (src/index.ts, src/node.ts). */
  source: string;
}

/** What the site needs to know about one package. */
export interface PackageInfo {
  /** Directory name under packages/, also the page slug: `breaker`. */
  slug: string;
  /** npm name: `@org/breaker`. */
  name: string;
  /** package.json `description`. */
  description: string;
  /** Absolute directory. */
  dir: string;
  /** Framework adapters take instances built by the core packages (they list @org packages as peers). */
  adapter: boolean;
  /** Absolute path of README.md, when there is one. */
  readme: string | undefined;
  /** Absolute path of BENCHMARKS.md, when there is one. */
  benchmarksMd: string | undefined;
  /** Entry points, from package.json `exports` (subpaths whose built file has a TypeScript source). */
  entries: EntryPoint[];
}

type Exports = Record<string, unknown>;

/** The dist file a subpath export points at (the ESM `import.default`, else any string found). */
function builtFile(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (typeof target !== 'object' || target === null) return undefined;
  const t = target as Record<string, unknown>;
  for (const k of ['import', 'default', 'require']) {
    const f = builtFile(t[k]);
    if (f !== undefined && !f.endsWith('.d.ts') && !f.endsWith('.d.cts')) return f;
  }
  return undefined;
}

/** `./dist/node.js` → `src/node.ts` when that source exists. */
function sourceOf(dir: string, built: string): string | undefined {
  const m = /^\.\/dist\/(.+)\.(?:c|m)?js$/.exec(built);
  if (m === null) return undefined;
  const src = join(dir, 'src', `${m[1]}.ts`);
  return existsSync(src) ? src : undefined;
}

/** Reads one package directory; undefined for anything that is not a published package. */
export function readPackage(dir: string): PackageInfo | undefined {
  const pj = join(dir, 'package.json');
  if (!existsSync(pj)) return undefined;
  const pkg = JSON.parse(readFileSync(pj, 'utf8')) as {
    name?: string;
    private?: boolean;
    description?: string;
    exports?: Exports;
    peerDependencies?: Record<string, string>;
  };
  if (pkg.private === true || typeof pkg.name !== 'string') return undefined;
  const entries: EntryPoint[] = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? { '.': './dist/index.js' })) {
    if (subpath.endsWith('.json')) continue;
    const built = builtFile(target);
    const source = built === undefined ? undefined : sourceOf(dir, built);
    if (source === undefined) continue;
    entries.push({ specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, source });
  }
  const slug = dir.split('/').pop()!;
  const readme = join(dir, 'README.md');
  const bench = join(dir, 'BENCHMARKS.md');
  return {
    slug,
    name: pkg.name,
    description: pkg.description ?? '',
    dir,
    adapter: Object.keys(pkg.peerDependencies ?? {}).some((d) => d.startsWith('@org/')),
    readme: existsSync(readme) ? readme : undefined,
    benchmarksMd: existsSync(bench) ? bench : undefined,
    entries,
  };
}

/** Every published package under `<root>/packages`: core packages first, then adapters, each by name. */
export function discoverPackages(root: string = REPO_ROOT): PackageInfo[] {
  const base = join(root, 'packages');
  const out: PackageInfo[] = [];
  for (const name of readdirSync(base)) {
    const p = readPackage(join(base, name));
    if (p !== undefined) out.push(p);
  }
  return out.sort((a, b) => Number(a.adapter) - Number(b.adapter) || a.name.localeCompare(b.name));
}
