import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/ratelimit', testTimeout: 30_000, hookTimeout: 30_000 },
});
