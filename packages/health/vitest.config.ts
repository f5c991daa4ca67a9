import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@org/health',
    testTimeout: 15_000,
    hookTimeout: 30_000,
    // Redis and PostgreSQL at REDIS_URL / DATABASE_URL: started when down and installed, else the run stops at once.
    globalSetup: ['./test/global-setup.ts', '../../scripts/services/redis.mjs', '../../scripts/services/postgres.mjs'],
    // one file at a time: the child-process tests measure latency and the machine is shared
    fileParallelism: false,
  },
});
