import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runtimeBin } from '@org/runtimes';
import { beforeAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/runtime.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

beforeAll(() => {
  if (!existsSync(dist)) {
    const pkg = fileURLToPath(new URL('..', import.meta.url));
    execFileSync(fileURLToPath(new URL('../../../node_modules/.bin/tsup', import.meta.url)), { cwd: pkg });
  }
});

const run = (bin: string, args: string[]): string =>
  execFileSync(bin, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });

describe('the core entry on other runtimes (no node: import): a Secret never prints', () => {
  const cases: Array<[string, () => string]> = [
    ['bun', () => run(runtimeBin('bun'), [fixture, pathToFileURL(dist).href])],
    ['deno', () => run(runtimeBin('deno'), ['run', '--quiet', '--allow-read', fixture, pathToFileURL(dist).href])],
    ['node24', () => run(runtimeBin('node24'), [fixture, pathToFileURL(dist).href])],
  ];
  it.each(cases)('%s', (_name, exec) => {
    const out = exec();
    expect(out).not.toContain('sk-runtime-c4fe');
    expect(out).toContain('Secret(KEY) [REDACTED]');
    expect(out).toContain('[REDACTED] [REDACTED] {"s":"[REDACTED]"}');
    expect(out).toMatch(/loaded true/);
  });
});
