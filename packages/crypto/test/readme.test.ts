// Every TypeScript block of the README type-checks against the package source (strict, like the package itself).
// Identifiers a block uses but does not define (the user's `db`, `req`, `log`...) are declared for it first.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { testPath } from './helpers.js';

const dir = testPath(`../.tmp/readme-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Free identifiers of the README's examples and the types they stand for. */
const AMBIENT: Record<string, string> = {
  userId: 'declare const userId: string;',
  db: 'declare const db: any;',
  row: 'declare const row: any;',
  log: 'declare const log: { info(...a: unknown[]): void; warn(...a: unknown[]): void };',
  keyring: 'declare const keyring: Keyring;',
  cipher: 'declare const cipher: Cipher;',
  oldKeyId: 'declare const oldKeyId: string;',
  req: 'declare const req: AsyncIterable<Uint8Array>;',
  res: 'declare const res: { setHeader(n: string, v: number): void; write(c: Uint8Array): void; end(): void };',
  source: 'declare const source: AsyncIterable<Uint8Array>;',
  consume: 'declare function consume(c: Uint8Array): void;',
  key32: 'declare const key32: Uint8Array;',
  nonce12: 'declare const nonce12: Uint8Array;',
  plaintext: 'declare const plaintext: Uint8Array;',
  aad: 'declare const aad: Uint8Array;',
};

it('every TypeScript block in the README type-checks', async () => {
  const readme = readFileSync(testPath('../README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(7);
  mkdirSync(dir, { recursive: true });
  blocks.forEach((block, i) => {
    const code = block
      .replaceAll("'@org/crypto/node'", "'../../src/node.js'")
      .replaceAll("'@org/crypto'", "'../../src/index.js'");
    const lines = code.split('\n');
    const imports = lines.filter((l) => l.startsWith('import '));
    const body = lines.filter((l) => !l.startsWith('import ')).join('\n');
    const declared = (n: string) =>
      new RegExp(`(const|let|function)\\s+${n}\\b`).test(body) ||
      new RegExp(`\\{[^}]*\\b${n}\\b[^}]*\\}\\s*=`).test(body);
    const ambient = Object.entries(AMBIENT)
      .filter(([n]) => new RegExp(`\\b${n}\\b`).test(body) && !declared(n))
      .map(([, d]) => d);
    writeFileSync(
      join(dir, `block-${i}.ts`),
      ["import type { Cipher, Keyring } from '../../src/index.js';", ...imports, ...ambient, 'export {};', body].join(
        '\n',
      ),
    );
  });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../../tsconfig.base.json',
      compilerOptions: { noEmit: true, declaration: false, isolatedDeclarations: false, noUnusedLocals: false },
      include: ['*.ts'],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')]).catch(
    (e: { stdout: string }) => ({ stdout: e.stdout }),
  );
  expect(r.stdout).toBe('');
}, 60_000);
