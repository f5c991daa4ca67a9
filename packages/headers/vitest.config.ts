import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: '@org/headers', testTimeout: 10_000 } });
