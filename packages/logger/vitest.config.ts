import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/logger', testTimeout: 20_000, hookTimeout: 20_000 },
});
