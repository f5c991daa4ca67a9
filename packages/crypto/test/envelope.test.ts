import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Algorithm,
  aes256gcm,
  createCipher,
  createKeyring,
  generateKeyRecord,
  inspectEnvelope,
  isAuthenticationError,
  isCryptoError,
  memoryKeyStore,
} from '../src/index.js';
import { deriveKey } from '../src/internal/format.js';
import { toHex } from './helpers.js';

const enc = new TextEncoder();
const ALGS: Algorithm[] = ['aes-256-gcm', 'xchacha20-poly1305', 'aes-256-gcm-siv'];

async function setup(algorithm: Algorithm = 'aes-256-gcm', backend: 'auto' | 'noble' | 'native' = 'auto') {
  const rec = generateKeyRecord({ createdAt: Date.now() });
  // Forged key ids reload the store at once (the spacing of such reloads is covered in keyring-fleet.test.ts).
  const keyring = await createKeyring({ store: memoryKeyStore([rec]), refreshMinIntervalMs: 0 });
  return { rec, keyring, cipher: createCipher({ keyring, algorithm, backend }) };
}

async function authFails(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected an authentication error, got success');
}

describe('envelope format', () => {
  it('lays out version | algorithm | keyId | nonce | ciphertext | tag, and decrypts with the raw AEAD', async () => {
    const { rec, cipher } = await setup();
    const pt = enc.encode('hello envelope');
    const env = await cipher.encrypt(pt, { aad: 'ctx' });
    const L = rec.id.length;
    expect(env[0]).toBe(0x01);
    expect(env[1]).toBe(0x01);
    expect(env[2]).toBe(L);
    expect(new TextDecoder().decode(env.subarray(3, 3 + L))).toBe(rec.id);
    expect(env.length).toBe(3 + L + 12 + pt.length + 16);
    // Independent re-implementation of the documented format: HKDF-derived key, header || caller AAD as AAD.
    const header = env.subarray(0, 3 + L);
    const aad = new Uint8Array([...header, ...enc.encode('ctx')]);
    const key = deriveKey(rec.key, 'envelope/aes-256-gcm');
    const plain = aes256gcm(key, { backend: 'noble' }).decrypt(env.subarray(3 + L, 15 + L), env.subarray(15 + L), aad);
    expect(new TextDecoder().decode(plain)).toBe('hello envelope');
    expect(inspectEnvelope(env)).toEqual({ kind: 'envelope', version: 1, algorithm: 'aes-256-gcm', keyId: rec.id });
  });

  for (const algorithm of ALGS) {
    it(`round-trips bytes, strings and JSON with ${algorithm}`, async () => {
      const { cipher } = await setup(algorithm);
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.string(), async (bytes, text) => {
          expect(toHex(await cipher.decrypt(await cipher.encrypt(bytes)))).toBe(toHex(bytes));
          expect(await cipher.decryptString(await cipher.encryptString(text, { aad: text }), { aad: text })).toBe(text);
        }),
        { numRuns: 50 },
      );
      const json = { a: 1, b: ['x', null], c: { d: true } };
      const s = await cipher.encryptJson(json);
      expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(await cipher.decryptJson(s)).toEqual(json);
      expect(inspectEnvelope(s).algorithm).toBe(algorithm);
    });
  }

  it('native and noble ciphers read each other’s envelopes', async () => {
    const rec = generateKeyRecord();
    const keyring = await createKeyring({ store: memoryKeyStore([rec]) });
    const a = createCipher({ keyring, backend: 'native' });
    const b = createCipher({ keyring, backend: 'noble' });
    expect([a.backend, b.backend]).toEqual(['native', 'noble']);
    const m = enc.encode('x'.repeat(1000));
    expect(toHex(await b.decrypt(await a.encrypt(m)))).toBe(toHex(m));
    expect(toHex(await a.decrypt(await b.encrypt(m)))).toBe(toHex(m));
  });

  it('decrypt caches never mix up keys, key id lengths, algorithms or key states (interleaved envelopes)', async () => {
    const key = (id: string, state: 'primary' | 'active') => ({
      id,
      key: globalThis.crypto.getRandomValues(new Uint8Array(32)),
      state,
      createdAt: Date.now(),
    });
    // Headers of different lengths, one id a prefix of another, two of one length differing in the last byte only.
    const ids = ['k', 'kk', 'kj', 'k'.repeat(64)];
    const keyring = await createKeyring({
      store: memoryKeyStore(ids.map((id, i) => key(id, i === 0 ? 'primary' : 'active'))),
    });
    const ciphers = ALGS.map((algorithm) => createCipher({ keyring, algorithm }));
    const sealed: Array<{ env: Uint8Array; plain: string }> = [];
    for (const [k, id] of ids.entries()) {
      if (k > 0) await keyring.setState(id, 'primary');
      for (const c of ciphers) {
        const plain = `${id.length}/${c.algorithm}/${sealed.length}`;
        sealed.push({ env: await c.encrypt(enc.encode(plain)), plain });
      }
    }
    const readers = [...ciphers, createCipher({ keyring, backend: 'noble' })];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(sealed.length - 1), fc.nat(readers.length - 1))), async (steps) => {
        for (const [e, r] of steps) {
          const out = await readers[r]!.decrypt(sealed[e]!.env);
          expect(new TextDecoder().decode(out)).toBe(sealed[e]!.plain);
        }
      }),
      { numRuns: 50 },
    );
    // Right after a success (header and key cached), a changed nonce, ciphertext or tag still fails.
    const { env } = sealed[0]!;
    for (const pos of [4, 3 + 1 + 12, env.length - 1]) {
      await ciphers[0]!.decrypt(env);
      const bad = env.slice();
      bad[pos]! ^= 1;
      expect(isAuthenticationError(await authFails(ciphers[0]!.decrypt(bad))), `byte ${pos}`).toBe(true);
    }
    // And a key disabled after it was cached is refused.
    await ciphers[0]!.decrypt(env);
    await keyring.setState(ids[0]!, 'disabled');
    const e = await authFails(ciphers[0]!.decrypt(env));
    expect(isCryptoError(e) && e.code).toBe('ERR_KEY_DISABLED');
  });

  it('uses a fresh random nonce per message', async () => {
    const { cipher } = await setup();
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(toHex((await cipher.encrypt(new Uint8Array(1))).subarray(15, 27)));
    expect(seen.size).toBe(200);
  });
});

describe('tamper detection (property tests)', () => {
  for (const algorithm of ALGS) {
    it(`any single-bit change anywhere in a ${algorithm} envelope fails authentication`, async () => {
      const { cipher } = await setup(algorithm);
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 40 }),
          fc.nat(),
          fc.integer({ min: 0, max: 7 }),
          async (pt, aad, pos, bit) => {
            const env = await cipher.encrypt(pt, { aad });
            const bad = env.slice();
            const i = pos % bad.length;
            bad[i]! ^= 1 << bit;
            const e = await authFails(cipher.decrypt(bad, { aad }));
            expect(isAuthenticationError(e)).toBe(true);
            expect((e as { code: string }).code).toBe('ERR_AUTHENTICATION');
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('a wrong, missing or extra AAD fails authentication', async () => {
    const { cipher } = await setup();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), async (a, b) => {
        fc.pre(toHex(a) !== toHex(b));
        const env = await cipher.encrypt(enc.encode('secret'), { aad: a });
        expect(isAuthenticationError(await authFails(cipher.decrypt(env, { aad: b })))).toBe(true);
      }),
      { numRuns: 100 },
    );
    const env = await cipher.encrypt(enc.encode('secret'), { aad: 'tenant-1' });
    expect(isAuthenticationError(await authFails(cipher.decrypt(env)))).toBe(true);
    const env2 = await cipher.encrypt(enc.encode('secret'));
    expect(isAuthenticationError(await authFails(cipher.decrypt(env2, { aad: 'x' })))).toBe(true);
  });

  it('truncated, extended and empty envelopes fail authentication', async () => {
    const { cipher } = await setup();
    const env = await cipher.encrypt(enc.encode('some plaintext'));
    for (let n = 0; n < env.length; n++)
      expect(isAuthenticationError(await authFails(cipher.decrypt(env.subarray(0, n)))), `length ${n}`).toBe(true);
    const longer = new Uint8Array([...env, 0]);
    expect(isAuthenticationError(await authFails(cipher.decrypt(longer)))).toBe(true);
  });

  it('reports an unknown key id as an authentication error with reason unknown-key (no trial decryption)', async () => {
    const { cipher } = await setup();
    const other = await setup();
    const env = await other.cipher.encrypt(enc.encode('x'));
    const e = (await authFails(cipher.decrypt(env))) as { reason: string };
    expect(isAuthenticationError(e)).toBe(true);
    expect(e.reason).toBe('unknown-key');
  });

  it('errors never contain key or plaintext bytes', async () => {
    const { rec, cipher } = await setup();
    const secret = 'TOP-SECRET-PLAINTEXT-1234567890';
    const env = await cipher.encrypt(enc.encode(secret), { aad: 'aad-value' });
    const forms = [
      toHex(rec.key),
      Buffer.from(rec.key).toString('base64'),
      Buffer.from(rec.key).toString('base64url'),
      secret,
      toHex(enc.encode(secret)),
      toHex(deriveKey(rec.key, 'envelope/aes-256-gcm')),
    ];
    const errors: unknown[] = [];
    for (let i = 0; i < env.length; i += 3) {
      const bad = env.slice();
      bad[i]! ^= 0x80;
      errors.push(await authFails(cipher.decrypt(bad, { aad: 'aad-value' })));
    }
    errors.push(await authFails(cipher.decrypt(env, { aad: 'wrong' })));
    for (const e of errors) {
      expect(isCryptoError(e)).toBe(true);
      const text = `${String(e)} ${(e as Error).stack} ${JSON.stringify(e)} ${JSON.stringify(Object.entries(e as object))}`;
      for (const f of forms) expect(text).not.toContain(f);
    }
  });
});

describe('base64url text envelopes: one envelope, one string', () => {
  /** Every way the old decoder accepted another spelling of the same envelope. */
  function variants(s: string): Array<[string, string]> {
    const out: Array<[string, string]> = [
      [`${s}=`, 'padding'],
      [`${s}==`, 'padding'],
      [s.replaceAll('-', '+').replaceAll('_', '/'), 'standard alphabet'],
    ];
    if (s.length % 4 !== 0) {
      // The last character carries 2 or 4 unused bits; canonical text has them zero.
      const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const v = alpha.indexOf(s.at(-1)!);
      const unused = s.length % 4 === 2 ? 4 : 2;
      for (let low = 1; low < 1 << unused; low++) out.push([s.slice(0, -1) + alpha[v | low]!, 'unused bits']);
    }
    return out.filter(([t]) => t !== s);
  }

  it('decryptString, decryptJson, rewrap, needsRewrap and inspectEnvelope reject every non-canonical spelling', async () => {
    const { cipher } = await setup();
    // Envelope lengths 43 + n cover all three remainders mod 3 (0, 2 or 3 final characters in the last group).
    for (const n of [0, 1, 2, 3, 20, 21, 22]) {
      let s = await cipher.encryptString('x'.repeat(n));
      while (!/[-_]/.test(s)) s = await cipher.encryptString('x'.repeat(n)); // so the alphabet case has a - or _
      expect(await cipher.decryptString(s)).toBe('x'.repeat(n));
      for (const [bad, why] of variants(s)) {
        const e = (await authFails(cipher.decryptString(bad))) as { reason?: string; message: string };
        expect(isAuthenticationError(e), `${why}: ${bad}`).toBe(true);
        expect(e.reason).toBe('format');
        expect(e.message).toMatch(/^decryptString: authentication failed \(not canonical base64url: /);
        await expect(cipher.rewrap(bad)).rejects.toThrow(/rewrap: authentication failed \(not canonical base64url/);
        expect(() => cipher.needsRewrap(bad)).toThrow(/not canonical base64url/);
        expect(() => inspectEnvelope(bad)).toThrow(/not canonical base64url/);
      }
    }
    const json = await cipher.encryptJson({ a: 1 });
    await expect(cipher.decryptJson(`${json}=`)).rejects.toThrow(/not canonical base64url: '=' padding/);
  });

  it('names what is wrong: padding, + or /, unused bits, other characters, impossible length', async () => {
    const { cipher } = await setup();
    const s = await cipher.encryptString('abc'); // 46 bytes: 62 characters, 4 unused bits in the last one
    const msg = async (t: string) => ((await authFails(cipher.decryptString(t))) as Error).message;
    expect(await msg(`${s}==`)).toMatch(/'=' padding at index 62/);
    expect(await msg(`+${s.slice(1)}`)).toMatch(/'\+' at index 0 \(base64url uses - and _\)/);
    expect(await msg(`${s.slice(0, 10)}/${s.slice(11)}`)).toMatch(/'\/' at index 10/);
    expect(await msg(`${s.slice(0, 5)} ${s.slice(6)}`)).toMatch(/character code 32 at index 5/);
    const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alpha[alpha.indexOf(s.at(-1)!) | 1]!;
    expect(await msg(s.slice(0, -1) + last)).toMatch(/last character has non-zero unused bits/);
    expect(await msg(s.slice(0, 61) + s.slice(0, 4))).toMatch(/length 65 is not possible/);
    // Never echoes the text itself.
    expect(await msg(`${s}=`)).not.toContain(s.slice(10, 30));
  });

  it('property: no string other than the canonical one opens an envelope', async () => {
    const { cipher } = await setup();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=';
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }),
        fc.nat(),
        fc.constantFrom(...alphabet),
        fc.constantFrom('', '=', '=='),
        async (text, at, c, pad) => {
          const s = await cipher.encryptString(text);
          const i = at % s.length;
          const t = s.slice(0, i) + c + s.slice(i + 1) + pad;
          if (t === s) return;
          expect(isAuthenticationError(await authFails(cipher.decryptString(t)))).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('createCipher options', () => {
  it('rejects bad options naming the option', async () => {
    const { keyring } = await setup();
    expect(() => createCipher({ keyring, algorithm: 'aes-128-gcm' as never })).toThrow(/algorithm must be one of/);
    expect(() => createCipher({ keyring, backend: 'x' as never })).toThrow(/backend must be/);
    expect(() => createCipher({ keyring, chunkSize: 10 })).toThrow(/chunkSize must be an integer from 1024/);
    expect(() => createCipher({ keyring: {} as never })).toThrow(/keyring must come from createKeyring/);
    const { cipher } = await setup();
    await expect(cipher.encrypt('text' as never)).rejects.toThrow(/plaintext must be a Uint8Array, got a string/);
    await expect(cipher.encrypt(new Uint8Array(1), { aad: 5 as never })).rejects.toThrow(/aad must be/);
    await expect(cipher.decryptString('***')).rejects.toThrow(/authentication failed/);
  });
});
