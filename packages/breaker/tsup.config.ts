import { defineConfig } from 'tsup';
import { inlinePrivatePackages } from '../../scripts/inline-private.mjs';

// Private workspace packages (@org/usage-errors) are bundled, code and declarations: nothing in dist names them.
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
