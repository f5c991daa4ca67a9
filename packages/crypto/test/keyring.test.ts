import { describe, expect, it } from 'vitest';
import {
  createCipher,
  createKeyring,
  envKeyStore,
  generateKeyRecord,
  inspectEnvelope,
  isAuthenticationError,
  isCryptoError,
  type KeyringEvents,
  type KeyStore,
  memoryKeyStore,
  serializeKeys,
} from '../src/index.js';

const enc = new TextEncoder();
const HOUR = 3600_000;

describe('createKeyring', () => {
  it('creates and persists a first primary key in an empty writable store', async () => {
    const store = memoryKeyStore();
    const keyring = await createKeyring({ store });
    const keys = await store.load();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.state).toBe('primary');
    expect(keyring.primaryId).toBe(keys[0]!.id);
    expect(keyring.list()[0]).not.toHaveProperty('key');
  });

  it('validates options, naming the option', async () => {
    const store = memoryKeyStore();
    await expect(createKeyring({ store, rotateAfterMs: 0 })).rejects.toThrow(/rotateAfterMs must be a number > 0/);
    await expect(createKeyring({ store, rotateAfterMessages: 2 ** 33 })).rejects.toThrow(
      /rotateAfterMessages must be an integer > 0 and <= 4294967296, got 8589934592/,
    );
    await expect(createKeyring({ store, rotateAfterMessages: 1.5 })).rejects.toThrow(RangeError);
    await expect(createKeyring({ store, refreshMinIntervalMs: -1 })).rejects.toThrow(/refreshMinIntervalMs/);
    await expect(createKeyring({} as never)).rejects.toThrow(/store must be a KeyStore/);
  });

  it('rotates by age (default 24 h) with an injected clock; old envelopes still decrypt', async () => {
    let now = 1_000_000;
    const store = memoryKeyStore();
    const keyring = await createKeyring({ store, clock: () => now });
    const events: KeyringEvents['rotate'][] = [];
    keyring.on('rotate', (e) => events.push(e));
    const cipher = createCipher({ keyring });
    const first = keyring.primaryId!;
    const old = await cipher.encrypt(enc.encode('old'));
    now += 24 * HOUR - 1;
    expect(inspectEnvelope(await cipher.encrypt(new Uint8Array(1))).keyId).toBe(first);
    now += 1;
    const fresh = await cipher.encrypt(enc.encode('new'));
    const second = keyring.primaryId!;
    expect(second).not.toBe(first);
    expect(inspectEnvelope(fresh).keyId).toBe(second);
    expect(events).toEqual([{ previous: first, primary: second, reason: 'age' }]);
    expect(keyring.get(first)!.state).toBe('decrypt-only');
    expect((await store.load()).map((k) => [k.id, k.state])).toEqual([
      [first, 'decrypt-only'],
      [second, 'primary'],
    ]);
    expect(new TextDecoder().decode(await cipher.decrypt(old))).toBe('old');
  });

  it('rotates by message count and counts streams too', async () => {
    const keyring = await createKeyring({ store: memoryKeyStore(), rotateAfterMessages: 3 });
    const cipher = createCipher({ keyring });
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(inspectEnvelope(await cipher.encrypt(new Uint8Array(1))).keyId);
    expect(new Set(ids.slice(0, 3)).size).toBe(1);
    expect(new Set(ids.slice(3, 6)).size).toBe(1);
    expect(ids[3]).not.toBe(ids[0]);
    expect(ids[6]).not.toBe(ids[3]);
    expect(keyring.list()).toHaveLength(3);
    expect(keyring.messageCount).toBe(1);
    for await (const _ of cipher.encryptStream([new Uint8Array(10)])) break;
    expect(keyring.messageCount).toBe(2);
  });

  it('concurrent encrypts during a due rotation rotate exactly once', async () => {
    let now = 0;
    const keyring = await createKeyring({ store: memoryKeyStore(), clock: () => now });
    const cipher = createCipher({ keyring });
    now = 25 * HOUR;
    const envs = await Promise.all(Array.from({ length: 20 }, () => cipher.encrypt(new Uint8Array(4))));
    expect(new Set(envs.map((e) => inspectEnvelope(e).keyId)).size).toBe(1);
    expect(keyring.list()).toHaveLength(2);
  });

  it('a rotateAfterMs shorter than a rotation cannot make encrypt rotate forever', async () => {
    let now = 0;
    const keyring = await createKeyring({ store: memoryKeyStore(), rotateAfterMs: 5, clock: () => (now += 10) });
    const cipher = createCipher({ keyring });
    for (let i = 0; i < 3; i++) await cipher.encrypt(new Uint8Array(1));
    expect(keyring.list()).toHaveLength(4); // initial key + one rotation per call
  });

  it('stage() adds an active key that the next rotation promotes', async () => {
    let now = 0;
    const keyring = await createKeyring({ store: memoryKeyStore(), clock: () => now });
    const cipher = createCipher({ keyring });
    const first = keyring.primaryId!;
    const staged = await keyring.stage();
    expect(staged.state).toBe('active');
    expect(keyring.primaryId).toBe(first);
    now = 10 * HOUR;
    const rotated = await keyring.rotate();
    expect(rotated.id).toBe(staged.id);
    expect(rotated.activatedAt).toBe(now);
    // Age counts from promotion, so the promoted key is not immediately due again.
    now = 20 * HOUR;
    expect(inspectEnvelope(await cipher.encrypt(new Uint8Array(1))).keyId).toBe(staged.id);
  });

  it('setState: disable refuses to decrypt, re-enable restores, primary cannot be demoted directly', async () => {
    const keyring = await createKeyring({ store: memoryKeyStore() });
    const cipher = createCipher({ keyring });
    const first = keyring.primaryId!;
    const env = await cipher.encrypt(enc.encode('data'));
    await expect(keyring.setState(first, 'disabled')).rejects.toThrow(/is the primary key; rotate\(\) or promote/);
    await keyring.rotate();
    await keyring.setState(first, 'disabled');
    const err = await cipher.decrypt(env).catch((e) => e);
    expect(isCryptoError(err) && err.code).toBe('ERR_KEY_DISABLED');
    expect(isAuthenticationError(err)).toBe(false);
    await keyring.setState(first, 'decrypt-only');
    expect(new TextDecoder().decode(await cipher.decrypt(env))).toBe('data');
    await keyring.setState(first, 'primary');
    expect(keyring.primaryId).toBe(first);
    expect(keyring.list().filter((k) => k.state === 'primary')).toHaveLength(1);
    await expect(keyring.setState('nope', 'active')).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    await expect(keyring.setState(first, 'gone' as never)).rejects.toThrow(/state must be one of/);
  });

  it('rewrap() moves envelopes to the primary key, keeps the plaintext, and leaves current ones unchanged', async () => {
    const keyring = await createKeyring({ store: memoryKeyStore() });
    const cipher = createCipher({ keyring });
    const old = await cipher.encrypt(enc.encode('payload'), { aad: 'row-7' });
    const oldText = await cipher.encryptString('text');
    const first = keyring.primaryId!;
    await keyring.rotate();
    expect(cipher.needsRewrap(old)).toBe(true);
    const re = await cipher.rewrap(old, { aad: 'row-7' });
    expect(inspectEnvelope(re).keyId).toBe(keyring.primaryId);
    expect(inspectEnvelope(re).keyId).not.toBe(first);
    expect(new TextDecoder().decode(await cipher.decrypt(re, { aad: 'row-7' }))).toBe('payload');
    expect(cipher.needsRewrap(re)).toBe(false);
    expect(await cipher.rewrap(re, { aad: 'row-7' })).toBe(re);
    const reText = await cipher.rewrap(oldText);
    expect(typeof reText).toBe('string');
    expect(await cipher.decryptString(reText)).toBe('text');
    // Once everything is rewrapped the old key can be disabled without losing data.
    await keyring.setState(first, 'disabled');
    expect(new TextDecoder().decode(await cipher.decrypt(re, { aad: 'row-7' }))).toBe('payload');
    // rewrap authenticates: a forged envelope is rejected even when it names the primary key.
    const forged = re.slice();
    forged[forged.length - 1]! ^= 1;
    expect(isAuthenticationError(await cipher.rewrap(forged, { aad: 'row-7' }).catch((e) => e))).toBe(true);
    // rewrap to another algorithm.
    const siv = createCipher({ keyring, algorithm: 'aes-256-gcm-siv' });
    const moved = await siv.rewrap(re, { aad: 'row-7' });
    expect(inspectEnvelope(moved).algorithm).toBe('aes-256-gcm-siv');
    expect(new TextDecoder().decode(await cipher.decrypt(moved, { aad: 'row-7' }))).toBe('payload');
  });

  it('two keyrings on one store: the second adopts the first one’s rotation instead of rotating again', async () => {
    let now = 0;
    const store = memoryKeyStore();
    const a = await createKeyring({ store, clock: () => now });
    const b = await createKeyring({ store, clock: () => now, refreshMinIntervalMs: 0 });
    const ca = createCipher({ keyring: a });
    const cb = createCipher({ keyring: b });
    now = 30 * HOUR;
    const fromA = await ca.encrypt(enc.encode('a'));
    const events: string[] = [];
    b.on('rotate', (e) => events.push(e.reason));
    const fromB = await cb.encrypt(enc.encode('b'));
    expect(inspectEnvelope(fromB).keyId).toBe(inspectEnvelope(fromA).keyId);
    expect(events).toEqual(['adopted']);
    expect(await store.load()).toHaveLength(2);
    // b learns keys created later by a when it meets an unknown key id.
    await a.rotate();
    const newer = await ca.encrypt(enc.encode('newer'));
    expect(new TextDecoder().decode(await cb.decrypt(newer))).toBe('newer');
  });

  it('fails closed when the store cannot persist a due rotation', async () => {
    let now = 0;
    let fail = false;
    const inner = memoryKeyStore();
    const store: KeyStore = {
      readOnly: false,
      load: () => inner.load(),
      update: (fn) => (fail ? Promise.reject(new Error('disk full')) : inner.update(fn)),
    };
    const keyring = await createKeyring({ store, clock: () => now });
    const cipher = createCipher({ keyring });
    fail = true;
    now = 25 * HOUR;
    await expect(cipher.encrypt(new Uint8Array(1))).rejects.toThrow('disk full');
    fail = false;
    await expect(cipher.encrypt(new Uint8Array(1))).resolves.toBeInstanceOf(Uint8Array);
    expect(keyring.list()).toHaveLength(2);
  });

  it('memoryKeyStore never drops a key', async () => {
    const store = memoryKeyStore([generateKeyRecord()]);
    await expect(store.update(() => [])).rejects.toThrow(/would drop key/);
    expect(await store.load()).toHaveLength(1);
  });
});

describe('envKeyStore', () => {
  it('is read-only: encrypts with the primary, never rotates, and reads sealed values with a kek', async () => {
    const kek = Buffer.alloc(32, 9).toString('base64');
    const keys = [generateKeyRecord({ createdAt: 0 }), generateKeyRecord({ state: 'decrypt-only', createdAt: 0 })];
    const env = { APP_KEYS: serializeKeys(keys, { kek }) };
    expect(env.APP_KEYS).not.toContain(Buffer.from(keys[0]!.key).toString('base64url'));
    const keyring = await createKeyring({ store: envKeyStore('APP_KEYS', { env, kek }), rotateAfterMs: 1 });
    const cipher = createCipher({ keyring });
    const e = await cipher.encrypt(new Uint8Array(3));
    expect(inspectEnvelope(e).keyId).toBe(keys[0]!.id);
    await expect(keyring.rotate()).rejects.toMatchObject({ code: 'ERR_KEY_STORE_READ_ONLY' });
    await expect(createKeyring({ store: envKeyStore('APP_KEYS', { env }) })).rejects.toMatchObject({
      code: 'ERR_KEY_STORE_KEK',
    });
  });

  it('names a missing variable and refuses an undefined kek', async () => {
    await expect(createKeyring({ store: envKeyStore('NOPE_NOT_SET', { env: {} }) })).rejects.toThrow(
      /environment variable NOPE_NOT_SET is not set/,
    );
    expect(() => envKeyStore('X', { kek: undefined })).toThrow(/kek is undefined/);
    expect(() => envKeyStore('X', { kek: 'short' })).toThrow(/kek must be 32 bytes/);
  });

  it('a decrypt-only keyring decrypts but refuses to encrypt', async () => {
    const k = generateKeyRecord();
    const keyring = await createKeyring({ store: memoryKeyStore([k]) });
    const env = await createCipher({ keyring }).encrypt(enc.encode('x'));
    const ro = await createKeyring({
      store: envKeyStore('K', { env: { K: serializeKeys([{ ...k, state: 'decrypt-only' }]) } }),
    });
    const c = createCipher({ keyring: ro });
    expect(new TextDecoder().decode(await c.decrypt(env))).toBe('x');
    await expect(c.encrypt(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_NO_PRIMARY_KEY' });
  });
});
