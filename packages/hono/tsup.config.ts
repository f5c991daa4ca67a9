import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { resolve: ['@org/adapter-kit'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // The shared adapter helpers are a private workspace package: bundle code and types so nothing references it.
  noExternal: ['@org/adapter-kit'],
});
