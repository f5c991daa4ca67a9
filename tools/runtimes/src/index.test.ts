import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RUNTIMES, runtimeBin, verdaccioBin } from './index.js';

// Each runtime must run and report the version this package pins; a wrong alias or a skipped postinstall shows here.
const expected: Record<string, RegExp> = {
  node20: /^v20\./,
  node22: /^v22\.23\./,
  'node22-11': /^v22\.11\./,
  node24: /^v24\.22\./,
  bun: /^1\.4\./,
  deno: /^deno 2\.9\./,
  workerd: /^workerd 2026-11-23/,
};

describe('runtimes', () => {
  for (const name of [...RUNTIMES, 'node22-11'] as const) {
    it(`${name} runs and is the pinned version`, () => {
      const out = execFileSync(runtimeBin(name), ['--version'], { encoding: 'utf8' }).trim();
      expect(out).toMatch(expected[name] as RegExp);
    });
  }
  it('verdaccio 6.8.0 runs on this Node', () => {
    const out = execFileSync(process.execPath, [verdaccioBin(), '--version'], { encoding: 'utf8' }).trim();
    expect(out).toBe('v6.8.0');
  });
});
