// `pnpm check:readmes [package-dir...]`: type-checks every TypeScript block of the packages' READMEs (and each
// package's wrong-option file, which must fail) against the workspace builds, under every profile of the consumer
// matrix. Fast and offline: a temp project links the workspace packages instead of installing from a registry.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { wrongOptionFile } from './cases.js';
import { readmeFiles } from './readme-files.js';
import { type CheckResult, PROFILES, typecheck } from './typecheck.js';
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

function main(args: string[]): number {
  const all = publishedPackages();
  const pkgs = args.length
    ? args.map((a) => {
        const dir = resolve(a);
        const p = all.find((x) => x.dir === dir);
        if (!p)
          throw new Error(
            `check:readmes: ${a} is not a published workspace package (${all.map((x) => x.rel).join(', ')})`,
          );
        return p;
      })
    : all;
  let failed = 0;
  for (const pkg of pkgs) {
    const t0 = performance.now();
    const { results, skipped } = checkPackageReadme(pkg);
    const bad = results.filter((r) => !r.ok);
    const files = new Set(results.map((r) => r.file)).size;
    const ms = Math.round(performance.now() - t0);
    console.log(
      `${bad.length ? '✗' : '✓'} ${pkg.name}: ${files} files × ${PROFILES.length} profiles, ${bad.length} failed${skipped.length ? `, ${skipped.length} blocks skipped` : ''} (${ms} ms)`,
    );
    for (const s of skipped) console.log(`    ${s}`);
    for (const r of bad) {
      console.log(`    ${r.file} [${r.profile}]`);
      for (const m of r.messages) console.log(`      ${m}`);
    }
    failed += bad.length;
  }
  if (failed)
    console.error(`check:readmes: ${failed} failed (file × profile); run from ${relative(process.cwd(), ROOT) || '.'}`);
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
