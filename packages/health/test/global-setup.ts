import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The child-process tests run the built package (dist). Rebuild it when missing or older than src.
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(dir, f)).mtimeMs));
  const dist = join(root, 'dist', 'node.js');
  if (!existsSync(dist) || statSync(dist).mtimeMs < newest(join(root, 'src'))) {
    execFileSync('pnpm', ['exec', 'tsup', '--silent'], { cwd: root, stdio: 'inherit' });
  }
}
