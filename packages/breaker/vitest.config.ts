import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/breaker', include: ['test/**/*.test.ts'], testTimeout: 20_000 },
});
