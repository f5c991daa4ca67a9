import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtInErrorSites, caught, expectContract, expectReadmeMatches, readmeErrorRows } from './index.js';

const BRAND = Symbol('test brand');
class PkgError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  declare readonly status?: number;
  constructor(code: string, retryable: boolean, status?: number) {
    super(`pkg: ${code}`);
    this.name = 'PkgError';
    this.code = code;
    this.retryable = retryable;
    if (status !== undefined) this.status = status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}
const guard = (e: unknown): boolean => typeof e === 'object' && e !== null && BRAND in e;
const table = {
  ERR_A: { retryable: true, status: 503 },
  ERR_B: { retryable: false },
  ERR_INVALID_OPTION: { retryable: false },
};
const usage = (Class: TypeErrorConstructor | RangeErrorConstructor, withCode = true): Error => {
  const e = new Class('pkg: bad option') as Error & { code?: string; retryable?: boolean };
  if (withCode) {
    e.code = 'ERR_INVALID_OPTION';
    e.retryable = false;
    e.name = `${Class.name} [ERR_INVALID_OPTION]`;
    Error.captureStackTrace(e);
    void e.stack;
    delete (e as { name?: string }).name;
  }
  return e;
};
const opts = { classes: ['PkgError', 'TypeError', 'RangeError'], guard };

describe('expectContract', () => {
  it('accepts errors that follow the contract', () => {
    expectContract(new PkgError('ERR_A', true, 503), 'ERR_A', table, opts);
    expectContract(new PkgError('ERR_B', false), 'ERR_B', table, opts);
    expectContract(usage(TypeError), 'ERR_INVALID_OPTION', table, opts);
    expectContract(usage(RangeError), 'ERR_INVALID_OPTION', table, opts);
  });

  it('fails on a wrong code, retryable, status, class, missing brand, bare built-in, or a leaked secret', () => {
    const bad: Array<[unknown, string, object?]> = [
      [new PkgError('ERR_B', false), 'ERR_A'],
      [new PkgError('ERR_A', false, 503), 'ERR_A'],
      [new PkgError('ERR_A', true), 'ERR_A'],
      [new PkgError('ERR_B', false, 500), 'ERR_B'],
      [new PkgError('ERR_C', false), 'ERR_C'],
      [new PkgError('ERR_B', false), 'ERR_B', { classes: ['Other'] }],
      [new PkgError('ERR_B', false), 'ERR_B', { guard: () => false }],
      [usage(TypeError, false), 'ERR_INVALID_OPTION'],
      [Object.assign(new TypeError('x'), { code: 'ERR_INVALID_OPTION', retryable: false }), 'ERR_INVALID_OPTION'],
      [{ code: 'ERR_B', retryable: false }, 'ERR_B'],
      [new PkgError('ERR_B', false), 'ERR_B', { secrets: ['ERR_B'] }],
    ];
    for (const [err, code, extra] of bad)
      expect(() => expectContract(err, code, table, { ...opts, ...extra }), `${code} ${String(err)}`).toThrow();
  });
});

describe('README table', () => {
  const readme = (rows: string) =>
    `# pkg\n\n## Errors\n\nText.\n\n| code | class | retryable | status | when |\n| --- | --- | --- | --- | --- |\n${rows}\n\n## Next\n\n| a | b |\n`;
  const good =
    '| `ERR_A` | `PkgError` | yes | 503 | a |\n| `ERR_B` | `PkgError` | no | — | b |\n| `ERR_INVALID_OPTION` | `TypeError`, `RangeError` | no | — | c |';

  it('reads the rows of the Errors section only', () => {
    expect(readmeErrorRows(readme(good)).map((r) => [r.code, r.classes])).toEqual([
      ['ERR_A', ['PkgError']],
      ['ERR_B', ['PkgError']],
      ['ERR_INVALID_OPTION', ['TypeError', 'RangeError']],
    ]);
    expectReadmeMatches(readme(good), table);
  });

  it('fails on a missing, extra or repeated code, a wrong retryable or status, or no section', () => {
    const lines = good.split('\n');
    for (const rows of [
      lines.slice(1).join('\n'),
      `${good}\n| \`ERR_Z\` | \`PkgError\` | no | — | z |`,
      `${good}\n${lines[0]}`,
      good.replace('| yes | 503 |', '| no | 503 |'),
      good.replace('| yes | 503 |', '| yes | — |'),
    ])
      expect(() => expectReadmeMatches(readme(rows), table), rows).toThrow();
    expect(() => readmeErrorRows('# pkg\n')).toThrow(/no "## Errors" section/);
  });
});

describe('builtInErrorSites and caught', () => {
  const dir = mkdtempSync(join(tmpdir(), 'error-contract-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds built-in errors constructed outside errors.ts, not in comments, tests or errors.ts', () => {
    mkdirSync(join(dir, 'internal'));
    writeFileSync(join(dir, 'a.ts'), "// new Error('comment')\nconst x = 1;\nthrow new TypeError('bare');\n");
    writeFileSync(join(dir, 'internal', 'b.ts'), "export const f = () => Promise.reject(Error('no new'));\n");
    writeFileSync(join(dir, 'errors.ts'), "export const e = new TypeError('allowed here');\n");
    writeFileSync(join(dir, 'a.test.ts'), "throw new Error('tests may');\n");
    writeFileSync(join(dir, 'c.ts'), "/* new RangeError('x') */ export class MyError extends Error {}\n");
    expect(builtInErrorSites(dir).map((s) => s.split(': ')[0])).toEqual(['a.ts:3', 'internal/b.ts:1']);
  });

  it('caught returns the thrown or rejected value and fails when nothing is thrown', async () => {
    expect(await caught(() => Promise.reject(new Error('r')))).toMatchObject({ message: 'r' });
    expect(
      await caught(() => {
        throw 'thrown';
      }),
    ).toBe('thrown');
    await expect(caught(() => 1)).rejects.toThrow(/expected an error/);
  });
});
