import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAuthenticationError } from '../src/index.js';
import { Gcm256, openInto, sealInto } from '../src/internal/gcm-into.js';
import { hex, loadVectors, toHex } from './helpers.js';

const gcm256 = loadVectors('wycheproof-aes_gcm_test.json').filter(
  (g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128,
);

function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): string {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  return toHex(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

describe('gcm-into: AES-256-GCM composed from noble ctr + GHASH, writing into caller buffers', () => {
  it('passes every Wycheproof vector (256-bit key, 96-bit IV, 128-bit tag); invalid ones throw and write nothing', () => {
    let valid = 0;
    let invalid = 0;
    for (const g of gcm256) {
      for (const t of g.tests) {
        const label = `tcId ${t.tcId} (${t.comment})`;
        const key = new Gcm256(hex(t.key));
        const nonce = hex(t.iv);
        const aad = hex(t.aad);
        const ctTag = hex(t.ct + t.tag);
        const msgLen = t.msg.length / 2;
        if (t.result === 'valid') {
          // At offset 0 and at an unaligned offset, through the class and through the functions.
          const out = new Uint8Array(msgLen + 16);
          key.sealInto(nonce, aad, hex(t.msg), out, 0);
          expect(toHex(out), label).toBe(t.ct + t.tag);
          const out3 = new Uint8Array(msgLen + 16 + 3);
          sealInto(hex(t.key), nonce, aad, hex(t.msg), out3, 3);
          expect(toHex(out3.subarray(3)), label).toBe(t.ct + t.tag);
          const pt = new Uint8Array(msgLen);
          expect(key.openInto(nonce, aad, ctTag, pt), label).toBe(msgLen);
          expect(toHex(pt), label).toBe(t.msg);
          const pt2 = new Uint8Array(msgLen + 5);
          expect(openInto(hex(t.key), nonce, aad, ctTag, pt2), label).toBe(msgLen);
          expect(toHex(pt2.subarray(0, msgLen)), label).toBe(t.msg);
          valid++;
        } else {
          const out = new Uint8Array(Math.max(0, ctTag.length - 16)).fill(0xa5);
          let err: unknown;
          try {
            key.openInto(nonce, aad, ctTag, out);
          } catch (e) {
            err = e;
          }
          expect(isAuthenticationError(err), label).toBe(true);
          expect(
            out.every((b) => b === 0xa5),
            `${label}: output untouched`,
          ).toBe(true);
          invalid++;
        }
      }
    }
    expect({ valid, invalid }).toEqual({ valid: 39, invalid: 27 });
  });

  it('equals node:crypto byte for byte on random keys, nonces, AAD and lengths 0..200, and opens what it seals', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 200 }),
        (k, nonce, aad, pt) => {
          const key = new Gcm256(k);
          const out = new Uint8Array(pt.length + 16);
          key.sealInto(nonce, aad, pt, out);
          expect(toHex(out)).toBe(nodeSeal(k, nonce, aad, pt));
          const back = new Uint8Array(pt.length);
          key.openInto(nonce, aad, out, back);
          expect(toHex(back)).toBe(toHex(pt));
          if (out.length > 0) {
            out[out.length - 1]! ^= 1;
            expect(() => key.openInto(nonce, aad, out, back)).toThrow(/authentication failed/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equals node:crypto on 64 KiB and odd larger sizes, with one key reused across messages and in place', () => {
    const k = randomBytes(32);
    const key = new Gcm256(k);
    for (const n of [65535, 65536, 65537, 65536 + 16 * 3 + 7, 3 * 65536 + 1]) {
      const nonce = randomBytes(12);
      const aad = randomBytes(n % 61);
      const pt = new Uint8Array(randomBytes(n));
      const out = new Uint8Array(n + 16);
      key.sealInto(nonce, aad, pt, out);
      expect(toHex(out), `${n}`).toBe(nodeSeal(k, nonce, aad, pt));
      const back = new Uint8Array(n);
      expect(key.openInto(nonce, aad, out, back)).toBe(n);
      expect(Buffer.from(back).equals(pt), `${n}`).toBe(true);
      // In place: plaintext already at the output position, then decrypted over its own ciphertext.
      const buf = new Uint8Array(n + 16);
      buf.set(pt);
      key.sealInto(nonce, aad, buf.subarray(0, n), buf);
      expect(toHex(buf), `${n} in place`).toBe(toHex(out));
      key.openInto(nonce, aad, buf, buf);
      expect(Buffer.from(buf.subarray(0, n)).equals(pt), `${n} in place`).toBe(true);
    }
  });

  it('handles unaligned and overlapping inputs and outputs (byte-wise and move-first paths)', () => {
    const k = randomBytes(32);
    const key = new Gcm256(k);
    for (const n of [0, 5, 16, 33, 1000]) {
      const nonce = randomBytes(12);
      const aad = randomBytes(7);
      const pt = new Uint8Array(randomBytes(n));
      const expected = nodeSeal(k, nonce, aad, pt);
      for (const [src, dst] of [
        [1, 0],
        [0, 3],
        [3, 1],
        [2, 2],
      ] as const) {
        const buf = new Uint8Array(n + 16 + 8);
        buf.set(pt, src);
        key.sealInto(nonce, aad, buf.subarray(src, src + n), buf, dst);
        expect(toHex(buf.subarray(dst, dst + n + 16)), `seal ${n} ${src}->${dst}`).toBe(expected);
        const sealed = buf.slice(dst, dst + n + 16);
        const io = new Uint8Array(n + 16 + 8);
        io.set(sealed, src);
        expect(key.openInto(nonce, aad, io.subarray(src, src + n + 16), io.subarray(dst))).toBe(n);
        expect(toHex(io.subarray(dst, dst + n)), `open ${n} ${src}->${dst}`).toBe(toHex(pt));
      }
    }
  });

  it('rejects bad keys, nonces, outputs and inputs shorter than a tag', () => {
    expect(() => new Gcm256(new Uint8Array(16))).toThrow(/key must be 32 bytes/);
    const key = new Gcm256(new Uint8Array(32));
    expect(() => key.sealInto(new Uint8Array(16), undefined, new Uint8Array(1), new Uint8Array(17))).toThrow(
      /nonce must be 12 bytes/,
    );
    expect(() => key.sealInto(new Uint8Array(12), undefined, new Uint8Array(2), new Uint8Array(17))).toThrow(
      /output must hold 18 bytes/,
    );
    expect(() => key.openInto(new Uint8Array(12), undefined, new Uint8Array(15), new Uint8Array(0))).toThrow(
      /authentication failed/,
    );
    const sealed = new Uint8Array(20);
    key.sealInto(new Uint8Array(12), undefined, new Uint8Array(4), sealed);
    expect(() => key.openInto(new Uint8Array(12), undefined, sealed, new Uint8Array(3))).toThrow(/output must hold/);
  });
});
