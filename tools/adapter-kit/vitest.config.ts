import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: '@org/adapter-kit' } });
