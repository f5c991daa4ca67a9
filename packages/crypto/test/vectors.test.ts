import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Aead,
  aes256gcm,
  aes256gcmsiv,
  hasNativeAesGcm,
  isAuthenticationError,
  xchacha20poly1305,
} from '../src/index.js';
import { hex, loadVectors, toHex, type WycheproofGroup } from './helpers.js';

function runVectors(groups: WycheproofGroup[], make: (key: Uint8Array) => Aead): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  for (const g of groups) {
    for (const t of g.tests) {
      const aead = make(hex(t.key));
      const nonce = hex(t.iv);
      const ctTag = hex(t.ct + t.tag);
      const label = `tcId ${t.tcId} (${t.comment})`;
      if (t.result === 'valid') {
        expect(toHex(aead.encrypt(nonce, hex(t.msg), hex(t.aad))), label).toBe(t.ct + t.tag);
        expect(toHex(aead.decrypt(nonce, ctTag, hex(t.aad))), label).toBe(t.msg);
        valid++;
      } else {
        let err: unknown;
        try {
          aead.decrypt(nonce, ctTag, hex(t.aad));
        } catch (e) {
          err = e;
        }
        expect(isAuthenticationError(err), label).toBe(true);
        invalid++;
      }
    }
  }
  return { valid, invalid };
}

const gcmGroups = loadVectors('wycheproof-aes_gcm_test.json');
const gcm256 = gcmGroups.filter((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128);

describe('aes256gcm — Wycheproof (256-bit key, 96-bit IV, 128-bit tag)', () => {
  it('has the vectors it claims to test', () => {
    expect(gcm256.reduce((n, g) => n + g.tests.length, 0)).toBe(66);
  });

  for (const backend of ['noble', 'native'] as const) {
    it.runIf(backend === 'noble' || hasNativeAesGcm())(`passes every vector with the ${backend} backend`, () => {
      const { valid, invalid } = runVectors(gcm256, (k) => aes256gcm(k, { backend }));
      expect(aes256gcm(new Uint8Array(32), { backend }).backend).toBe(backend);
      expect({ valid, invalid }).toEqual({ valid: 39, invalid: 27 });
    });
  }

  it('finds the native backend at run time on Node', () => {
    expect(hasNativeAesGcm()).toBe(true);
    expect(aes256gcm(new Uint8Array(32)).backend).toBe('native');
  });

  it('rejects every nonce that is not 12 bytes, on both backends, naming the length', () => {
    const odd = gcmGroups.filter((g) => g.keySize === 256 && g.ivSize !== 96).flatMap((g) => g.tests);
    expect(odd.length).toBeGreaterThan(20);
    for (const backend of ['noble', 'native'] as const) {
      for (const t of odd) {
        const aead = aes256gcm(hex(t.key), { backend });
        const n = hex(t.iv);
        expect(() => aead.encrypt(n, hex(t.msg), hex(t.aad))).toThrow(`nonce must be 12 bytes, got ${n.length} bytes`);
        expect(() => aead.decrypt(n, hex(t.ct + t.tag), hex(t.aad))).toThrow(RangeError);
      }
    }
  });

  it('rejects keys that are not 32 bytes (AES-128/192 vectors included)', () => {
    for (const g of gcmGroups.filter((x) => x.keySize !== 256))
      expect(() => aes256gcm(hex(g.tests[0]!.key))).toThrow(`key must be 32 bytes, got ${g.keySize / 8} bytes`);
    expect(() => aes256gcm('k' as never)).toThrow(TypeError);
    expect(() => aes256gcm(new Uint8Array(32), { backend: 'openssl' as never })).toThrow(/backend must be/);
  });

  it('both backends produce identical bytes for random keys, nonces, messages and AAD', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 100 }),
        (key, nonce, msg, aad) => {
          const a = aes256gcm(key, { backend: 'native' });
          const b = aes256gcm(key, { backend: 'noble' });
          const ca = a.encrypt(nonce, msg, aad);
          expect(toHex(ca)).toBe(toHex(b.encrypt(nonce, msg, aad)));
          expect(toHex(b.decrypt(nonce, ca, aad))).toBe(toHex(msg));
          expect(toHex(a.decrypt(nonce, ca, aad))).toBe(toHex(msg));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fails short ciphertexts with an authentication error, not a crash', () => {
    for (const backend of ['noble', 'native'] as const) {
      const aead = aes256gcm(new Uint8Array(32), { backend });
      expect(() => aead.decrypt(new Uint8Array(12), new Uint8Array(15))).toThrow(/authentication failed/);
    }
  });
});

describe('xchacha20poly1305 — Wycheproof', () => {
  const groups = loadVectors('wycheproof-xchacha20_poly1305_test.json');
  it('passes every vector with a 192-bit nonce', () => {
    const { valid, invalid } = runVectors(
      groups.filter((g) => g.ivSize === 192),
      xchacha20poly1305,
    );
    expect({ valid, invalid }).toEqual({ valid: 246, invalid: 60 });
  });
  it('rejects the other nonce sizes', () => {
    for (const t of groups.filter((g) => g.ivSize !== 192).flatMap((g) => g.tests))
      expect(() => xchacha20poly1305(hex(t.key)).decrypt(hex(t.iv), hex(t.ct + t.tag))).toThrow(
        /nonce must be 24 bytes/,
      );
  });
});

describe('aes256gcmsiv — Wycheproof', () => {
  const groups = loadVectors('wycheproof-aes_gcm_siv_test.json');
  it('passes every vector with a 256-bit key', () => {
    const { valid, invalid } = runVectors(
      groups.filter((g) => g.keySize === 256),
      aes256gcmsiv,
    );
    expect({ valid, invalid }).toEqual({ valid: 69, invalid: 34 });
  });
  it('is nonce-misuse resistant: a repeated nonce only reveals equal plaintexts', () => {
    const aead = aes256gcmsiv(new Uint8Array(32).fill(7));
    const n = new Uint8Array(12);
    const a = aead.encrypt(n, new TextEncoder().encode('attack at dawn!!'));
    const b = aead.encrypt(n, new TextEncoder().encode('attack at dusk!!'));
    expect(toHex(a.subarray(0, 8))).not.toBe(toHex(b.subarray(0, 8)));
  });
});
