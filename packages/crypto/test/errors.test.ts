// Every code in cryptoErrorCodes is triggered for real (real files, a real lock held by a live process, the built module
// loaded against a changed @noble/ciphers), through the public API of the source and of both builds, and checked
// against the error contract — including that no error carries key bytes, the KEK or plaintext; the README's errors
// table is checked against the same export.
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInThisContext } from 'node:vm';
import { afterAll, beforeAll } from 'vitest';
import { type Copy, errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from '../src/index.js';
import type * as nodeEntry from '../src/node.js';

type Pkg = typeof src;
type NodePkg = typeof nodeEntry;
const node = (c: Copy): Promise<NodePkg> => c.load('node');

const K = src.generateKeyRecord();
const OTHER = src.generateKeyRecord();
const KEK = Buffer.alloc(32, 7).toString('base64');
const PLAIN = 'attack at dawn, the vault code is 7319';
const bytes = (k: src.KeyRecord) => Buffer.from(k.key);
// Everything no error may contain: key bytes in every text form, the KEK, the plaintext.
const SECRETS = [K, OTHER].flatMap((k) => [
  bytes(k).toString('hex'),
  bytes(k).toString('base64'),
  bytes(k).toString('base64url'),
]);
SECRETS.push(KEK, Buffer.alloc(32, 7).toString('hex'), PLAIN);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crypto-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const cipherOf = async (m: Pkg, keys: src.KeyRecord[] = [K]) =>
  m.createCipher({ keyring: await m.createKeyring({ store: m.memoryKeyStore(keys) }) });
const readOnly = (m: Pkg, keys: src.KeyRecord[]) =>
  m.createKeyring({ store: m.envKeyStore('APP_KEYS', { env: { APP_KEYS: m.serializeKeys(keys) } }) });
const storage = async (m: Pkg, c: Copy) =>
  (await node(c)).secureStorage({ dir: join(dir, `s-${n++}`), cipher: await cipherOf(m) });

/**
 * The built `@org/crypto/node` (CommonJS) loaded as Node loads it, except that `@noble/ciphers/_polyval.js` is a
 * changed release whose GHASH table differs (`change` rewrites it): what the GCM self-test exists to catch.
 */
function withChangedNoble(change: (table: Array<Record<string, number>>) => Array<Record<string, number>>): NodePkg {
  const file = fileURLToPath(new URL('../dist/node.cjs', import.meta.url));
  const real = createRequire(file);
  const polyval = real('@noble/ciphers/_polyval.js') as { GHASH: new (h: Uint8Array, n?: number) => object };
  class GHASH extends polyval.GHASH {
    constructor(h: Uint8Array, expectedLength?: number) {
      super(h, expectedLength);
      const self = this as unknown as { t: Array<Record<string, number>> };
      self.t = change(self.t);
    }
  }
  const require = (id: string): unknown => (id === '@noble/ciphers/_polyval.js' ? { ...polyval, GHASH } : real(id));
  const module = { exports: {} as NodePkg };
  const load = runInThisContext(
    `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`,
    {
      filename: file,
    },
  ) as (...a: unknown[]) => void;
  load(module.exports, require, module, file, dirname(file));
  return module.exports;
}
const lowMemoryPut = async (m: Pkg, changed: NodePkg) =>
  changed
    .secureStorage({ dir: join(dir, `gcm-${n++}`), cipher: await cipherOf(m), lowMemory: true })
    .put('report.pdf', PLAIN);

const triggers: { [K in keyof Pkg['cryptoErrorCodes']]: Array<(m: Pkg, c: Copy) => unknown> } = {
  ERR_AUTHENTICATION: [
    async (m) => {
      const c = await cipherOf(m);
      const e = await c.encrypt(new TextEncoder().encode(PLAIN));
      e[e.length - 1]! ^= 1;
      return c.decrypt(e);
    },
    async (m) => (await cipherOf(m)).decryptString('!not base64url!'),
    async (m) => (await cipherOf(m)).decrypt(await (await cipherOf(m, [OTHER])).encrypt(new Uint8Array(8))),
    (m) => m.aes256gcm(bytes(K)).decrypt(new Uint8Array(12), new Uint8Array(32)),
  ],
  ERR_KEY_DISABLED: [
    async (m) => {
      const keyring = await m.createKeyring({ store: m.memoryKeyStore([K]) });
      const c = m.createCipher({ keyring });
      const e = await c.encrypt(new TextEncoder().encode(PLAIN));
      await keyring.rotate();
      await keyring.setState(K.id, 'disabled');
      return c.decrypt(e);
    },
  ],
  ERR_NO_PRIMARY_KEY: [
    async (m) =>
      m.createCipher({ keyring: await readOnly(m, [{ ...K, state: 'decrypt-only' }]) }).encrypt(new Uint8Array(1)),
  ],
  ERR_KEY_NOT_FOUND: [
    async (m) => (await m.createKeyring({ store: m.memoryKeyStore([K]) })).setState('nope', 'active'),
  ],
  ERR_KEY_STORE_READ_ONLY: [async (m) => (await readOnly(m, [K])).rotate()],
  ERR_KEY_STORE_CORRUPT: [
    (m) => m.parseKeys('{"format": "not json'),
    (m) => m.createKeyring({ store: m.envKeyStore('APP_KEYS', { env: { APP_KEYS: '{"version":1,"keys":[{}]}' } }) }),
  ],
  ERR_KEY_STORE_EMPTY: [(m) => m.createKeyring({ store: m.envKeyStore('NOT_SET', { env: {} }) })],
  ERR_KEY_STORE_LOCKED: [
    // The lock file names a live process (the test runner): it is never broken, the update times out.
    async (_m, c) => {
      const path = join(dir, `keys-${n++}.json`);
      await writeFile(`${path}.lock`, `${process.ppid}:0123456789abcdef`);
      return (await node(c)).fileKeyStore(path, { lockTimeoutMs: 30 }).update((keys) => keys);
    },
  ],
  ERR_KEY_STORE_KEK: [
    (m) => m.parseKeys(m.serializeKeys([K], { kek: KEK })),
    (m) => m.parseKeys(m.serializeKeys([K], { kek: KEK }), { kek: Buffer.alloc(32, 8) }),
  ],
  ERR_STORAGE_NOT_FOUND: [
    async (m, c) => (await storage(m, c)).get('AAAAAAAAAAAAAAAAAAAAAA'),
    async (m, c) => (await storage(m, c)).get('../../etc/passwd'),
  ],
  ERR_STORAGE_CORRUPT: [
    async (m, c) => {
      const d = join(dir, `s-${n++}`);
      const s = (await node(c)).secureStorage({ dir: d, cipher: await cipherOf(m) });
      const id = await s.put('report.pdf', PLAIN);
      const file = join(d, `${id}.ocs`);
      const b = await readFile(file);
      b[b.length - 1]! ^= 1;
      await writeFile(file, b);
      return s.get(id);
    },
  ],
  ERR_SELF_TEST: [
    // A table of another layout (another window size).
    (m) =>
      lowMemoryPut(
        m,
        withChangedNoble((t) => t.slice(0, 16)),
      ),
    // The first window's entries changed: every GHASH block absorbs exactly one of them, so every tag changes.
    (m) =>
      lowMemoryPut(
        m,
        withChangedNoble((t) => t.map((e, i) => (i < 256 ? { ...e, s0: (e.s0 ?? 0) ^ 1 } : e))),
      ),
  ],
  ERR_INVALID_OPTION: [
    async (m) => m.createCipher({ keyring: await readOnly(m, [K]), algorithm: 'rot13' as never }),
    (m) => m.createCipher({ keyring: {} as never }),
    (m) => m.createKeyring({ store: 1 as never }),
    (m) => m.envKeyStore('APP_KEYS', { kek: 'short' }),
    async (_m, c) => (await node(c)).fileKeyStore(''),
  ],
  ERR_INVALID_ARGUMENT: [
    async (m) => (await cipherOf(m)).encrypt(PLAIN as never),
    (m) => m.aes256gcm(new Uint8Array(3)),
    async (m) => (await m.createKeyring({ store: m.memoryKeyStore([K]) })).setState(K.id, 'gone' as never),
    async (m, c) => (await storage(m, c)).put('x', 42 as never),
  ],
};

errorContractSuite({
  name: '@org/crypto',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.cryptoErrorCodes,
  guard: (m) => m.isCryptoError,
  triggers,
  secrets: SECRETS,
});
