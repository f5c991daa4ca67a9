// Type-checks a package's README blocks (and its wrong-option file) against the workspace builds: a temp project
// links the workspace packages and the third-party ones the blocks import, nothing is installed.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { wrongOptionFile } from './cases.js';
import { readmeFiles } from './readme-files.js';
import { type CheckResult, typecheck } from './typecheck.js';
import { installedPackageDir, publishedPackages, ROOT, typesPackageName, type WorkspacePackage } from './workspace.js';

function link(projectDir: string, name: string, target: string): void {
  const at = join(projectDir, 'node_modules', name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at, 'dir');
}

/** Checks one package in a fresh temp project; returns the results (the project is removed). */
export function checkPackageReadme(pkg: WorkspacePackage): { results: CheckResult[]; skipped: string[] } {
  const rf = readmeFiles(pkg.dir);
  const files = [...rf.files];
  const wrong = wrongOptionFile(pkg.name);
  if (wrong) files.push(wrong);
  const project = mkdtempSync(join(tmpdir(), 'check-readmes-'));
  try {
    const byName = new Map(publishedPackages().map((p) => [p.name, p.dir]));
    const needed = new Set([pkg.name, ...rf.imports, ...(wrong ? [pkg.name] : [])]);
    const linked = new Set<string>();
    for (const name of needed) {
      const target = byName.get(name) ?? installedPackageDir(name, pkg.dir);
      if (!target) throw new Error(`${rf.readme}: a block imports ${name}, which no workspace package has installed`);
      link(project, name, target);
      linked.add(name);
      const types = typesPackageName(name);
      const typesDir = byName.has(name) ? undefined : installedPackageDir(types, pkg.dir);
      if (typesDir && !linked.has(types)) {
        link(project, types, typesDir);
        linked.add(types);
      }
    }
    const nodeTypes = installedPackageDir('@types/node', ROOT);
    if (!nodeTypes) throw new Error('@types/node is not installed at the root; run pnpm install');
    link(project, '@types/node', nodeTypes);
    const results = typecheck(project, files);
    return { results, skipped: rf.skipped.map((s) => `${rf.readme}:${s.block.line}: skipped: ${s.reason}`) };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
