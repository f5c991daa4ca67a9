import { defineConfig } from 'tsup';
import { inlinePrivatePackages } from '../../scripts/inline-private.mjs';

// The shared adapter helpers are a private workspace package that is never published: bundle its code and its
// declarations so that nothing in dist references it (checked by check:coupling and the consumer matrix).
const inline = inlinePrivatePackages();

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { paths: inline.paths } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  noExternal: inline.noExternal,
});
