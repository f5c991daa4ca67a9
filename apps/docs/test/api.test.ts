// The API reference's check: an export without a description is found and named, whatever its kind.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApi, type Undocumented } from '../scripts/lib/api.js';
import type { PackageInfo } from '../scripts/lib/packages.js';

const dir = fileURLToPath(new URL('./fixtures/api/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'docs-api-'));
let missing: Undocumented[];

describe('generateApi on a fixture package', () => {
  beforeAll(async () => {
    const pkg: PackageInfo = {
      slug: 'example',
      name: '@org/example',
      description: 'fixture',
      dir,
      adapter: false,
      readme: undefined,
      benchmarksMd: undefined,
      entries: [{ specifier: '@org/example', source: join(dir, 'index.ts') }],
    };
    missing = await generateApi([pkg], out, join(dir, 'tsconfig.json'));
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('names every export without a description, with its kind and place', () => {
    expect(missing.map((m) => `${m.entry} ${m.kind} ${m.name}`).sort()).toEqual([
      '@org/example Function bare',
      '@org/example Interface Undescribed',
      '@org/example Variable NO_DOC',
    ]);
    expect(missing.find((m) => m.name === 'bare')!.where).toMatch(/apps\/docs\/test\/fixtures\/api\/index\.ts:\d+$/);
  });

  it('writes a page per entry point, named by its import specifier, with @org mentions kept as text', () => {
    const page = readFileSync(join(out, 'example.md'), 'utf8');
    expect(page).toMatch(/^# @org\/example/);
    expect(page).toContain('`@org/example` — documented, and the @org mention stays in the text.');
    expect(page).toContain('Overloads: the description on the first signature documents the function.');
  });
});
