import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@org/ratelimit',
    // Redis at REDIS_URL: started when down and installed, else the run stops at once saying what is missing.
    globalSetup: ['../../scripts/services/redis.mjs'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
