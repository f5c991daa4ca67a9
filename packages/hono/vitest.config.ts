import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/hono', testTimeout: 15_000 },
});
