import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExample } from './example.js';
import { parseReadme } from './readme.js';

const dir = mkdtempSync(join(tmpdir(), 'example-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const first = (...md: string[]) => {
  const [block] = parseReadme(md.join('\n'));
  if (!block) throw new Error('no block');
  return { block, source: block.code };
};

const server = (onTerm: string) => [
  "import { createServer } from 'node:http';",
  "const s = createServer((req, res) => res.writeHead(req.url === '/livez' ? 200 : 404).end());",
  's.listen(Number(process.env.PORT));',
  onTerm,
];

describe('runExample', () => {
  it('passes a block that exits 0 and fails one that throws, in both module formats', async () => {
    const good = first('```ts', 'const n: number = await Promise.resolve(1);', 'console.log(n);', '```');
    const bad = first('```ts', "throw new Error('boom in the example');", '```');
    for (const format of ['esm', 'cjs'] as const) {
      expect(await runExample(dir, good.block, good.source, format)).toMatchObject({ ok: true });
      const r = await runExample(dir, bad.block, bad.source, format);
      expect(r.ok).toBe(false);
      expect(r.detail).toContain('boom in the example');
    }
  });

  it('sends reserved example host names to a loopback server', async () => {
    const b = first(
      '```ts',
      "const r = await fetch('https://api.example.com/orders');",
      'if (r.status !== 200) throw new Error(String(r.status));',
      '```',
    );
    expect(await runExample(dir, b.block, b.source, 'esm')).toMatchObject({ ok: true });
  });

  it('checks a server: it answers the path, then ends on SIGTERM as the directive says', async () => {
    const graceful = first(
      '<!-- readme-check: serves /livez -->',
      '```ts',
      ...server("process.once('SIGTERM', () => s.close(() => process.exit(0)));"),
      '```',
    );
    expect(await runExample(dir, graceful.block, graceful.source, 'esm')).toMatchObject({ ok: true });
    const killed = first('<!-- readme-check: serves /livez -->', '```ts', ...server(''), '```');
    const r = await runExample(dir, killed.block, killed.source, 'esm');
    expect(r).toMatchObject({ ok: false });
    expect(r.detail).toMatch(/ended with SIGTERM after SIGTERM, expected 0/);
    const wrongPath = first('<!-- readme-check: serves /health exits SIGTERM -->', '```ts', ...server(''), '```');
    expect((await runExample(dir, wrongPath.block, wrongPath.source, 'cjs')).detail).toMatch(
      /GET \/health answered 404/,
    );
  }, 60_000);
});
