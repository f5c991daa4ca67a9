// The runtime matrix table of the root README is the source of truth for what is supported: a ✓ cell must pass in
// the consumer matrix, a `✗ reason` cell is skipped with that reason (and the package's README must give the same
// reason). The table and the checks can therefore never disagree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './workspace.js';

/** The runtime columns, in order. */
export const RUNTIME_COLUMNS = ['Node 20', 'Node 22', 'Node 24', 'Bun', 'Deno', 'workerd'] as const;
export type RuntimeColumn = (typeof RUNTIME_COLUMNS)[number];

/** One cell: supported, or not with the documented reason. */
export type Support = { supported: true } | { supported: false; reason: string };

/** Package name → column → support. */
export type RuntimeTable = Map<string, Map<RuntimeColumn, Support>>;

/** Parses the table whose header is `| package | Node 20 | Node 22 | Node 24 | Bun | Deno | workerd |`. */
export function parseRuntimeTable(markdown: string, file = 'README.md'): RuntimeTable {
  const lines = markdown.split('\n');
  const cells = (l: string) =>
    l
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
  const header = lines.findIndex((l) => {
    const c = cells(l);
    return (
      l.trim().startsWith('|') && c[0]?.toLowerCase() === 'package' && c.slice(1).join() === RUNTIME_COLUMNS.join()
    );
  });
  if (header === -1)
    throw new Error(`${file}: no runtime matrix table (header | package | ${RUNTIME_COLUMNS.join(' | ')} |)`);
  const table: RuntimeTable = new Map();
  for (let i = header + 2; i < lines.length && (lines[i] as string).trim().startsWith('|'); i++) {
    const c = cells(lines[i] as string);
    const name = /@org\/[a-z0-9-]+/.exec(c[0] ?? '')?.[0];
    if (!name) throw new Error(`${file}:${i + 1}: the first cell names no @org package`);
    const row = new Map<RuntimeColumn, Support>();
    RUNTIME_COLUMNS.forEach((col, j) => {
      const v = c[j + 1] ?? '';
      if (v === '✓') row.set(col, { supported: true });
      else if (v.startsWith('✗') && v.slice(1).trim()) row.set(col, { supported: false, reason: v.slice(1).trim() });
      else throw new Error(`${file}:${i + 1}: ${name} / ${col}: a cell is "✓" or "✗ <reason>", got "${v}"`);
    });
    table.set(name, row);
  }
  return table;
}

/** Reads the root README's runtime table. */
export function readRuntimeTable(root: string = ROOT): RuntimeTable {
  const file = join(root, 'README.md');
  return parseRuntimeTable(readFileSync(file, 'utf8'), file);
}
