import { defineConfig } from 'vitest/config';

// One root config, one project per workspace package. Each package may add its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'tools/*', 'templates/*', 'scripts'],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.tmp/vitest-results.json' },
  },
});
