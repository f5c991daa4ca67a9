import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@org/fastify', testTimeout: 15_000 },
});
