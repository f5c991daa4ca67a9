import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/usage-errors', include: ['src/**/*.test.ts'] },
});
