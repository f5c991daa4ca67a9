import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCipher, createKeyring, generateKeyRecord, parseKeys } from '../src/index.js';
import { fileKeyStore } from '../src/node.js';

const root = mkdtempSync(join(tmpdir(), 'org-crypto-fks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `case-${++n}`, 'keys.json');

describe('fileKeyStore', () => {
  it('creates the file with mode 0600 and keeps it 0600 across rotations', async () => {
    const path = fresh();
    const keyring = await createKeyring({ store: fileKeyStore(path) });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await keyring.rotate();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const keys = parseKeys(readFileSync(path, 'utf8'));
    expect(keys.map((k) => k.state).sort()).toEqual(['decrypt-only', 'primary']);
    expect(readdirSync(join(path, '..')).sort()).toEqual(['keys.json']);
  });

  it('seals keys at rest under a KEK, and refuses a missing, wrong or undefined KEK', async () => {
    const path = fresh();
    const kek = Buffer.alloc(32, 1).toString('base64url');
    const keyring = await createKeyring({ store: fileKeyStore(path, { kek }) });
    const cipher = createCipher({ keyring });
    const env = await cipher.encryptString('kept');
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('"sealed"');
    expect(text).not.toContain(keyring.primaryId!);
    await expect(fileKeyStore(path).load()).rejects.toMatchObject({ code: 'ERR_KEY_STORE_KEK' });
    await expect(fileKeyStore(path, { kek: Buffer.alloc(32, 2) }).load()).rejects.toMatchObject({
      code: 'ERR_KEY_STORE_KEK',
    });
    expect(() => fileKeyStore(path, { kek: process.env.SURELY_NOT_SET_KEK })).toThrow(/kek is undefined/);
    const again = createCipher({ keyring: await createKeyring({ store: fileKeyStore(path, { kek }) }) });
    expect(await again.decryptString(env)).toBe('kept');
  });

  it('migrates a clear file to a sealed one on the next write', async () => {
    const path = fresh();
    await createKeyring({ store: fileKeyStore(path) });
    const kek = new Uint8Array(32).fill(5);
    const keyring = await createKeyring({ store: fileKeyStore(path, { kek }) });
    await keyring.rotate();
    expect(readFileSync(path, 'utf8')).toContain('"sealed"');
    expect((await fileKeyStore(path, { kek }).load()).length).toBe(2);
  });

  it('concurrent rotations through separate store instances never lose a key', async () => {
    const path = fresh();
    const rings = await Promise.all([1, 2, 3].map(() => createKeyring({ store: fileKeyStore(path) })));
    await Promise.all(rings.flatMap((r) => [r.rotate(), r.rotate(), r.stage()]));
    const stored = await fileKeyStore(path).load();
    const created = new Set(rings.flatMap((r) => r.list().map((k) => k.id)));
    for (const id of created) expect(stored.some((k) => k.id === id)).toBe(true);
    expect(stored.filter((k) => k.state === 'primary')).toHaveLength(1);
  });

  it('recovers a lock left by a dead process and removes its temp files', async () => {
    const path = fresh();
    const store = fileKeyStore(path);
    await store.update(() => [generateKeyRecord()]);
    const deadPid = 2 ** 22 + 12345; // above pid_max on Linux: never a live process
    writeFileSync(`${path}.lock`, String(deadPid));
    writeFileSync(`${path}.${deadPid}.abcdef.tmp`, 'partial');
    const keys = await store.update((k) => [...k, generateKeyRecord({ state: 'active' })]);
    expect(keys).toHaveLength(2);
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(readdirSync(join(path, '..')).sort()).toEqual(['keys.json']);
  });

  it('breaks a dead owner lock even when an earlier breaker died holding its break token, and cleans every token', async () => {
    const path = fresh();
    const store = fileKeyStore(path);
    await store.update(() => [generateKeyRecord()]);
    const deadPid = 2 ** 22 + 777;
    const staleId = '0123456789abcdef';
    writeFileSync(`${path}.lock`, `${deadPid}:${staleId}`);
    // A breaker of that lock instance was killed while holding token 0; another left a token for a long-gone instance.
    writeFileSync(`${path}.break.${staleId}.0`, `${deadPid + 1}:fedcba9876543210`);
    writeFileSync(`${path}.break.aaaaaaaaaaaaaaaa.3`, `${deadPid + 2}:1111111111111111`);
    const keys = await store.update((k) => [...k, generateKeyRecord({ state: 'active' })]);
    expect(keys).toHaveLength(2);
    expect(readdirSync(join(path, '..')).sort()).toEqual(['keys.json']);
  });

  it('never breaks a lock whose owner is alive, in the current format either', async () => {
    const path = fresh();
    const store = fileKeyStore(path, { lockTimeoutMs: 60 });
    await store.update(() => [generateKeyRecord()]);
    writeFileSync(`${path}.lock`, `${process.ppid}:0123456789abcdef`);
    await expect(store.update((k) => k)).rejects.toThrow(`lock held by process ${process.ppid}`);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.ppid}:0123456789abcdef`);
    rmSync(`${path}.lock`);
  });

  it('times out on a lock held by a live process, naming it', async () => {
    const path = fresh();
    const store = fileKeyStore(path, { lockTimeoutMs: 50 });
    await store.update(() => [generateKeyRecord()]);
    writeFileSync(`${path}.lock`, String(process.ppid));
    await expect(store.update((k) => k)).rejects.toThrow(`lock held by process ${process.ppid}`);
    rmSync(`${path}.lock`);
  });

  it('reports a corrupt file instead of starting an empty keyring over it', async () => {
    const path = fresh();
    await createKeyring({ store: fileKeyStore(path) });
    writeFileSync(path, '{"format":"@org/crypto.keyring","version":1,"keys":[{"id":"x"');
    await expect(createKeyring({ store: fileKeyStore(path) })).rejects.toMatchObject({ code: 'ERR_KEY_STORE_CORRUPT' });
  });

  it('validates options', () => {
    expect(() => fileKeyStore('')).toThrow(/path must be a non-empty string/);
    expect(() => fileKeyStore('/tmp/x', { lockTimeoutMs: -1 })).toThrow(/lockTimeoutMs must be a finite number >= 0/);
  });
});
