import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/express', testTimeout: 15_000 },
});
