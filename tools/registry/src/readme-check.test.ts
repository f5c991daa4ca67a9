import { describe, expect, it } from 'vitest';
import { checkPackageReadme } from './readme-check.js';
import { PROFILES } from './typecheck.js';
import { publishedPackages } from './workspace.js';

// The in-tree check (`pnpm check:readmes`) on real packages: a core one whose README imports another @org package,
// and the adapters, whose blocks import a framework (and its @types package) from the workspace.
describe('check:readmes against the workspace builds', () => {
  for (const name of ['@org/retry', '@org/express', '@org/fastify', '@org/hono']) {
    it(`${name}: every README block compiles and the wrong option does not, under every profile`, () => {
      const pkg = publishedPackages().find((p) => p.name === name);
      if (!pkg) throw new Error(`${name} is not a published workspace package`);
      const { results } = checkPackageReadme(pkg);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(results.filter((r) => r.file === 'wrong-option').map((r) => r.profile)).toEqual([...PROFILES]);
      expect(results.filter((r) => r.file.startsWith('readme-')).length).toBeGreaterThanOrEqual(3 * PROFILES.length);
    });
  }
});
