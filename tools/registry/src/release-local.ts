// `pnpm release:local`: publishes every package to a throwaway local registry with changesets, prints what was
// published, and stops the registry. The consumer matrix (`pnpm check:consumers`) does the same, then checks.
import { releaseLocal } from './release.js';
import { startVerdaccio } from './verdaccio.js';

const registry = await startVerdaccio();
try {
  const t0 = performance.now();
  const published = await releaseLocal({ registry, log: (l) => console.log(l) });
  for (const p of published) console.log(`published ${p.name}@${p.version}`);
  console.log(`release: ${published.length} packages in ${Math.round(performance.now() - t0)} ms`);
} catch (e) {
  process.exitCode = 1;
  console.error(e instanceof Error ? e.message : e);
} finally {
  await registry.stop();
}
