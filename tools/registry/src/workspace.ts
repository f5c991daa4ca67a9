// The workspace as the release sees it: its published packages and where its third-party packages are installed.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository. */
export const ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The fields of a package.json the tools read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** A workspace package. */
export interface WorkspacePackage {
  name: string;
  /** Absolute directory. */
  dir: string;
  /** Directory relative to the root, e.g. `packages/retry`. */
  rel: string;
  manifest: Manifest;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Every workspace package (packages, apps, tools, templates), sorted by directory. */
export function workspacePackages(root: string = ROOT): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps', 'tools', 'templates']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      if (!existsSync(join(dir, 'package.json'))) continue;
      const manifest = readManifest(dir);
      out.push({ name: manifest.name, dir, rel: `${group}/${name}`, manifest });
    }
  }
  return out;
}

/** The packages a release publishes (not private). */
export function publishedPackages(root: string = ROOT): WorkspacePackage[] {
  return workspacePackages(root).filter((p) => !p.manifest.private);
}

/**
 * Where the workspace has `name` installed (the real directory), looked up from `from` first, then from every other
 * workspace package, then the root. Undefined when no package of the workspace has it.
 */
export function installedPackageDir(name: string, from?: string, root: string = ROOT): string | undefined {
  const dirs = [...(from ? [from] : []), ...workspacePackages(root).map((p) => p.dir), root];
  for (const d of dirs) {
    const p = join(d, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return realpathSync(p);
  }
  return undefined;
}

/** The `@types/` package name for a package (`@scope/x` → `@types/scope__x`). */
export function typesPackageName(name: string): string {
  return `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
}
