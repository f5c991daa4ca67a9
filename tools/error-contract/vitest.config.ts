import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/error-contract', include: ['src/**/*.test.ts'] },
});
