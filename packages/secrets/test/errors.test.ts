// Every code in secretsErrorCodes is triggered for real (real files, a refused connection), through the public API of
// the source and of both builds, and checked against the error contract — including that no error carries a secret's
// value; the README's errors table is checked against the same export.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Copy, caught, errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from '../src/index.js';
import type * as nodeEntry from '../src/node.js';

type Pkg = typeof src;
const node = (c: Copy): Promise<typeof nodeEntry> => c.load('node');

// Values that must never appear in an error.
const SHORT = 'hunter2-short';
const REFUSED = 'swordfish-refused-by-validator';
const FILE_VALUE = 'correct horse battery staple';
const VALUES = [SHORT, REFUSED, FILE_VALUE];

let dir = '';
let refusedPort = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secrets-errors-'));
  await mkdir(join(dir, 'ADIR'));
  await writeFile(join(dir, 'BIG'), `${FILE_VALUE}\n`.repeat(100));
  // A port nothing listens on: a provider calling a secret service there gets ECONNREFUSED.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  refusedPort = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const env = (m: Pkg, vars: Record<string, string>) => m.envProvider({ env: vars });
/** A provider in the documented shape that reads from an HTTP secret service (a Vault stand-in that is down). */
const httpProvider = (): src.SecretProvider => ({
  name: 'vault',
  get: async (name, signal) => {
    const res = await fetch(`http://127.0.0.1:${refusedPort}/v1/secret/${name}`, { signal });
    return ((await res.json()) as { value: string }).value;
  },
});
const hung: src.SecretProvider = { name: 'hung', get: () => new Promise(() => {}) };

const triggers: { [K in keyof Pkg['secretsErrorCodes']]: Array<(m: Pkg, c: Copy) => unknown> } = {
  ERR_SECRET_MISSING: [(m) => m.secrets({ providers: [env(m, {})], secrets: { API_KEY: true } }).get('API_KEY')],
  ERR_SECRET_INVALID: [
    (m) =>
      m.secrets({ providers: [env(m, { API_KEY: SHORT })], secrets: { API_KEY: { minLength: 32 } } }).get('API_KEY'),
    (m) =>
      m
        .secrets({
          providers: [env(m, { API_KEY: REFUSED })],
          secrets: {
            API_KEY: {
              validate: (v) => {
                throw new Error(`bad value ${v}`);
              },
            },
          },
        })
        .get('API_KEY'),
  ],
  ERR_SECRET_READ: [
    (m) => m.secrets({ providers: [httpProvider()], secrets: { API_KEY: true } }).get('API_KEY'),
    async (m, c) =>
      m.secrets({ providers: [(await node(c)).fileProvider({ dir })], secrets: { ADIR: true } }).get('ADIR'),
    async (m, c) =>
      m
        .secrets({ providers: [(await node(c)).fileProvider({ dir, maxBytes: 64 })], secrets: { BIG: true } })
        .get('BIG'),
  ],
  ERR_SECRET_TIMEOUT: [
    (m) => m.secrets({ providers: [hung], secrets: { API_KEY: true }, timeoutMs: 5 }).get('API_KEY'),
  ],
  ERR_SECRET_NOT_LOADED: [
    (m) => m.secrets({ providers: [env(m, { API_KEY: SHORT })], secrets: { API_KEY: true } }).current('API_KEY'),
  ],
  ERR_SECRET_UNDECLARED: [
    (m) => m.secrets({ providers: [env(m, { API_KEY: SHORT })], secrets: { API_KEY: true } }).get('API_KY' as never),
  ],
  ERR_SECRETS_LOAD: [
    (m) => m.secrets({ providers: [env(m, { B: REFUSED })], secrets: { A: true, B: { minLength: 64 } } }).load(),
    (m) => m.secrets({ providers: [hung], secrets: { A: true }, timeoutMs: 5 }).load(),
  ],
  ERR_SECRETS_CLOSED: [
    async (m) => {
      const s = m.secrets({ providers: [env(m, { API_KEY: SHORT })], secrets: { API_KEY: true } });
      await s.close();
      return s.get('API_KEY');
    },
  ],
  ERR_PROVIDER_CLOSE: [
    (m) =>
      m
        .secrets({
          providers: [{ name: 'pool', get: () => undefined, close: () => Promise.reject(new Error('pool busy')) }],
          secrets: { API_KEY: { optional: true } },
        })
        .close(),
  ],
  ERR_INVALID_OPTION: [
    (m) => m.secrets({ providers: [], secrets: {} }),
    (m) => m.secrets({ providers: [env(m, {})], secrets: { A: true }, timeoutMs: 0 }),
    (m) => m.envProvider({ prefix: 1 as never }),
    async (_m, c) => (await node(c)).fileProvider({}),
    async (_m, c) => (await node(c)).fileProvider({ dir, maxBytes: 0 }),
  ],
  ERR_INVALID_ARGUMENT: [
    (m) => m.secret(1 as never, 'API_KEY'),
    (m) => m.secrets({ providers: [env(m, {})], secrets: { A: true } }).on('nope' as never, () => {}),
  ],
};

errorContractSuite({
  name: '@org/secrets',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.secretsErrorCodes,
  guard: (m) => m.isSecretsError,
  triggers,
  secrets: VALUES,
});

describe('ERR_SECRETS_LOAD is retryable exactly when every error it lists is', () => {
  it('only timeouts: retryable; a missing or invalid secret among them: not', async () => {
    const timeouts = await caught(() => triggers.ERR_SECRETS_LOAD[1]!(src, undefined as never));
    expect(timeouts).toMatchObject({ code: 'ERR_SECRETS_LOAD', retryable: true });
    expect((timeouts as src.SecretsError).errors.map((e) => [e.code, e.retryable])).toEqual([
      ['ERR_SECRET_TIMEOUT', true],
    ]);
    const slowOrShort: src.SecretProvider = { name: 'p', get: (n) => (n === 'A' ? new Promise(() => {}) : REFUSED) };
    const mixed = await caught(() =>
      src.secrets({ providers: [slowOrShort], secrets: { A: true, B: { minLength: 64 } }, timeoutMs: 5 }).load(),
    );
    expect((mixed as src.SecretsError).errors.map((e) => [e.code, e.retryable])).toEqual([
      ['ERR_SECRET_TIMEOUT', true],
      ['ERR_SECRET_INVALID', false],
    ]);
    expect(mixed).toMatchObject({ code: 'ERR_SECRETS_LOAD', retryable: false });
    const config = await caught(() => triggers.ERR_SECRETS_LOAD[0]!(src, undefined as never));
    expect((config as src.SecretsError).errors.map((e) => [e.code, e.retryable])).toEqual([
      ['ERR_SECRET_MISSING', false],
      ['ERR_SECRET_INVALID', false],
    ]);
    expect(config).toMatchObject({ retryable: false });
  });
});
