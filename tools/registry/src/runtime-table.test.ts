import { describe, expect, it } from 'vitest';
import { parseRuntimeTable, readRuntimeTable } from './runtime-table.js';
import { publishedPackages } from './workspace.js';

const header =
  '| package | Node 20 | Node 22 | Node 24 | Bun | Deno | workerd |\n| --- | --- | --- | --- | --- | --- | --- |';

describe('runtime table', () => {
  it('reads ✓ cells as supported and ✗ cells with their reason', () => {
    const t = parseRuntimeTable(`${header}\n| \`@org/x\` | ✓ | ✓ | ✓ | ✓ | ✓ | ✗ needs node:http |\nafter`);
    expect(t.get('@org/x')?.get('Node 20')).toEqual({ supported: true });
    expect(t.get('@org/x')?.get('workerd')).toEqual({ supported: false, reason: 'needs node:http' });
  });

  it('refuses a cell that is neither, and an unsupported cell without a reason', () => {
    expect(() => parseRuntimeTable(`${header}\n| @org/x | ✓ | yes | ✓ | ✓ | ✓ | ✓ |`)).toThrow(
      /@org\/x \/ Node 22: a cell is "✓" or "✗ <reason>", got "yes"/,
    );
    expect(() => parseRuntimeTable(`${header}\n| @org/x | ✓ | ✓ | ✓ | ✓ | ✓ | ✗ |`)).toThrow(/workerd/);
    expect(() => parseRuntimeTable('no table here')).toThrow(/no runtime matrix table/);
  });

  it('the root README has a row for every published package', () => {
    const t = readRuntimeTable();
    expect([...t.keys()].sort()).toEqual(
      publishedPackages()
        .map((p) => p.name)
        .sort(),
    );
  });
});
