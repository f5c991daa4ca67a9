import { describe, expect, it } from 'vitest';
import { blockSource, documentedInstall, importedPackages, parseReadme, ReadmeDirectiveError } from './readme.js';

const md = (...lines: string[]) => lines.join('\n');

describe('parseReadme', () => {
  it('finds TypeScript blocks only, with their README lines', () => {
    const blocks = parseReadme(
      md(
        '# x',
        '',
        '```sh',
        'npm i x',
        '```',
        '',
        '```ts',
        "import { a } from 'x';",
        'a();',
        '```',
        '```json',
        '{}',
        '```',
      ),
    );
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ index: 1, line: 7, continues: false });
    expect(blocks[0]?.code).toEqual({ text: "import { a } from 'x';\na();", lines: [8, 9] });
  });

  it('reads skip (with its reason), continues, serves and a multi-line context', () => {
    const blocks = parseReadme(
      md(
        '<!-- readme-check: serves /livez -->',
        '<!-- readme-check: context',
        'const db = new Map();',
        'declare const req: Request;',
        '-->',
        '',
        '```ts',
        'db.set(1, req);',
        '```',
        '<!-- readme-check: continues -->',
        '```typescript',
        'db.clear();',
        '```',
        '<!-- readme-check: skip shows a fragment of a class body -->',
        '```ts',
        'private x = 1;',
        '```',
      ),
    );
    expect(blocks.map((b) => b.index)).toEqual([1, 2, 3]);
    expect(blocks[0]?.serves).toEqual({ path: '/livez', exits: 0 });
    expect(blocks[0]?.context).toEqual({ text: 'const db = new Map();\ndeclare const req: Request;', lines: [3, 4] });
    expect(blocks[1]?.continues).toBe(true);
    expect(blocks[2]?.skip).toBe('shows a fragment of a class body');
    const chained = blockSource(blocks, blocks[1] as never);
    expect(chained.text).toBe('const db = new Map();\ndeclare const req: Request;\ndb.set(1, req);\ndb.clear();');
    expect(chained.lines).toEqual([3, 4, 8, 12]);
  });

  it('reads how a server example ends', () => {
    const [b] = parseReadme(md('<!-- readme-check: serves / exits SIGTERM -->', '```ts', 'x', '```'));
    expect(b?.serves).toEqual({ path: '/', exits: 'SIGTERM' });
  });

  it('refuses a skip without a reason, and directives that check nothing', () => {
    const bad: [string, RegExp][] = [
      [md('<!-- readme-check: skip -->', '```ts', 'x', '```'), /README.md:1: readme-check: skip needs a reason/],
      [md('<!-- readme-check: continues -->', '```ts', 'x', '```'), /continues on the first block/],
      [md('<!-- readme-check: skip x -->', 'text', '```ts', 'x', '```'), /not directly above a code block/],
      [md('<!-- readme-check: skip x -->', '```sh', 'x', '```'), /above a `sh` block/],
      [md('<!-- readme-check: sikp x -->', '```ts', 'x', '```'), /unknown readme-check directive "sikp"/],
      [md('<!-- readme-check: serves livez -->', '```ts', 'x', '```'), /serves needs a path/],
      [md('```ts', 'x'), /code fence is never closed/],
      [md('```ts', 'x', '```', '<!-- readme-check: skip x -->'), /at the end of the file/],
    ];
    for (const [text, re] of bad) expect(() => parseReadme(text)).toThrow(re);
    expect(() => parseReadme(md('<!-- readme-check: skip -->', '```ts', 'x', '```'))).toThrow(ReadmeDirectiveError);
  });
});

describe('imports and install lines', () => {
  it('lists bare packages a block imports, builtins and relative paths excluded', () => {
    expect(
      importedPackages(
        "import a from 'express';\nimport type { B } from '@org/x/node';\nimport 'node:fs';\nconst c = await import('hono/body-limit');\nimport d from './d.js';",
      ),
    ).toEqual(['@org/x', 'express', 'hono']);
  });

  it('ignores imports shown in comments and runtime-provided modules (cloudflare:, bun:)', () => {
    expect(
      importedPackages(
        "// e.g. `env.KV` from `import { env } from 'cloudflare:workers'`\n/* import x from 'pg' */\nimport { env } from 'cloudflare:workers';\nimport { serve } from 'bun:test';\nfetch('https://example.com/x'); import y from 'ky';",
      ),
    ).toEqual(['ky']);
  });

  it('reads npm install lines, dev ones apart, comments ignored', () => {
    expect(
      documentedInstall(
        md('```sh', 'npm install @org/x express', 'npm install -D @types/express # TypeScript', '```', 'npm i y'),
      ),
    ).toEqual({ dependencies: ['@org/x', 'express', 'y'], devDependencies: ['@types/express'] });
  });
});
