import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/metrics', include: ['test/**/*.test.ts'], testTimeout: 20_000 },
});
