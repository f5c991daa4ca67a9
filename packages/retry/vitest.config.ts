import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: '@org/retry', testTimeout: 15_000 } });
