import { defineConfig } from 'tsup';

// The demo runs as plain `node dist/main.js`: a loader such as tsx between the terminal and the process would get
// Ctrl+C too and relay it a second time. Dependencies (the @org packages' own dist included) stay external.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
});
