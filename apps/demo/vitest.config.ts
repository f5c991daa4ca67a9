import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@org/demo',
    // Redis at REDIS_URL: started when down and installed, else the run stops at once saying what is missing.
    globalSetup: ['../../scripts/services/redis.mjs'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 20_000,
  },
});
