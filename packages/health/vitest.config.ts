import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: '@org/health',
    testTimeout: 15_000,
    hookTimeout: 30_000,
    globalSetup: ['./test/global-setup.ts'],
    // one file at a time: the child-process tests measure latency and the machine is shared
    fileParallelism: false,
  },
});
