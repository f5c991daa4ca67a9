import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/conformance', testTimeout: 20_000, hookTimeout: 20_000 },
});
