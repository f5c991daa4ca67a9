import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseLocal } from './release.js';
import { type Registry, startVerdaccio } from './verdaccio.js';

const fixture = fileURLToPath(new URL('../test/fixtures/workspace', import.meta.url));

/** Every file under `dir` with its content: what a release must leave as it found it. */
function tree(dir: string, out: Record<string, string> = {}, rel = ''): Record<string, string> {
  for (const name of readdirSync(join(dir, rel))) {
    const p = join(rel, name);
    if (statSync(join(dir, p)).isDirectory()) tree(dir, out, p);
    else out[p] = readFileSync(join(dir, p), 'utf8');
  }
  return out;
}

// The real release path against a real Verdaccio: a two-package fixture workspace where b depends on a.
describe('releaseLocal', () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startVerdaccio();
  }, 60_000);
  afterAll(() => registry?.stop());

  it('versions a snapshot and publishes with changesets, replacing workspace: ranges, leaving the tree as it was', async () => {
    const before = tree(fixture);
    const published = await releaseLocal({ registry, root: fixture });
    expect(published.map((p) => p.name)).toEqual(['@org/fixture-a', '@org/fixture-b']);
    const [a, b] = published as [(typeof published)[0], (typeof published)[0]];
    expect(a.version).toMatch(/^\d+\.\d+\.\d+-local-\d{14}$/);
    expect(b.manifest.dependencies).toEqual({ '@org/fixture-a': `^${a.version}` });
    // Installable from the registry: the tarball is there.
    const res = await fetch(String((a.manifest as { dist?: { tarball?: string } }).dist?.tarball));
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect(tree(fixture)).toEqual(before);
  }, 120_000);

  it('refuses to publish a package whose files are missing (not built)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'release-fixture-'));
    try {
      cpSync(fixture, copy, { recursive: true });
      rmSync(join(copy, 'packages', 'b', 'dist'), { recursive: true });
      await expect(releaseLocal({ registry, root: copy })).rejects.toThrow(
        'release: packages/b lists "dist" in files but it does not exist (build first)',
      );
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('stop() closes the registry', async () => {
    const r = await startVerdaccio();
    expect((await fetch(`${r.url}-/ping`)).ok).toBe(true);
    await r.stop();
    await expect(fetch(`${r.url}-/ping`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  }, 60_000);
});
