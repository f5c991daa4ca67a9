// Turns a package's README into the files the type-check compiles.
import { join, relative } from 'node:path';
import { blockSource, importedPackages, type ReadmeBlock, readReadme } from './readme.js';
import type { CheckFile } from './typecheck.js';
import { ROOT } from './workspace.js';

/** A README's checked files and the blocks it opted out, with their reasons. */
export interface ReadmeFiles {
  readme: string;
  blocks: ReadmeBlock[];
  files: CheckFile[];
  skipped: { block: ReadmeBlock; reason: string }[];
  /** Bare packages the checked blocks import. */
  imports: string[];
}

/** Reads `<dir>/README.md` into check files named `readme-<n>`. */
export function readmeFiles(dir: string, root: string = ROOT): ReadmeFiles {
  const readme = join(dir, 'README.md');
  const origin = relative(root, readme);
  const blocks = readReadme(readme);
  const files: CheckFile[] = [];
  const skipped: ReadmeFiles['skipped'] = [];
  const imports = new Set<string>();
  for (const b of blocks) {
    if (b.skip !== undefined) {
      skipped.push({ block: b, reason: b.skip });
      continue;
    }
    const source = blockSource(blocks, b);
    for (const p of importedPackages(source.text)) imports.add(p);
    files.push({ name: `readme-${b.index}`, source, origin });
  }
  return { readme: origin, blocks, files, skipped, imports: [...imports].sort() };
}
