// tsup options that bundle a package's private workspace dependencies (e.g. @org/adapter-kit) into its dist: code
// through `noExternal`, declarations through TypeScript `paths` read from the private package's own `exports`, so
// the published .d.ts/.d.cts never name a package users cannot install. Nothing here knows the private package's
// file names: a new subpath in its `exports` is picked up on the next build.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The file a subpath export points types at: `types`, else `import`, else `default`, else the first string. */
function exportTarget(value) {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(exportTarget).find(Boolean);
  if (value && typeof value === 'object') {
    for (const key of ['types', 'import', 'default']) if (key in value) return exportTarget(value[key]);
    return Object.values(value).map(exportTarget).find(Boolean);
  }
  return undefined;
}

/**
 * Private workspace packages `pkgDir` depends on (any dependency field, `workspace:` range, `"private": true`),
 * with `paths` mapping each of their exported subpaths to the source file, for the declaration build.
 * @param {string} [pkgDir] the package being built (default: the current directory, where tsup runs)
 * @returns {{ names: string[], noExternal: RegExp[], paths: Record<string, string[]> }}
 */
export function inlinePrivatePackages(pkgDir = process.cwd()) {
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const names = [];
  const paths = {};
  const fields = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
  for (const [name, range] of fields.flatMap((f) => Object.entries(pkg[f] ?? {}))) {
    if (!String(range).startsWith('workspace:') || names.includes(name)) continue;
    const linked = join(pkgDir, 'node_modules', name);
    if (!existsSync(join(linked, 'package.json'))) continue;
    const dir = realpathSync(linked);
    const dep = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (dep.private !== true) continue;
    names.push(name);
    const exportsField = typeof dep.exports === 'string' ? { '.': dep.exports } : (dep.exports ?? { '.': dep.main });
    for (const [subpath, value] of Object.entries(exportsField)) {
      const target = exportTarget(value);
      if (!target || subpath.endsWith('package.json')) continue;
      // `./x` → `name/x`, `.` → `name`; `*` patterns map the same way in TypeScript `paths`.
      paths[subpath === '.' ? name : `${name}/${subpath.replace(/^\.\//, '')}`] = [resolve(dir, target)];
    }
  }
  const literal = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return { names, noExternal: names.map((n) => new RegExp(`^${literal(n)}(?:/|$)`)), paths };
}
