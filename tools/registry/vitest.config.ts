import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/registry', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
