// `pnpm check:readmes [package-dir...]`: type-checks every TypeScript block of the packages' READMEs (and each
// package's wrong-option file, which must fail) against the workspace builds, under every profile of the consumer
// matrix. Fast and offline: a temp project links the workspace packages instead of installing from a registry.
import { relative, resolve } from 'node:path';
import { checkPackageReadme } from './readme-check.js';
import { PROFILES } from './typecheck.js';
import { publishedPackages, ROOT } from './workspace.js';

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
