import { describe, expect, it } from 'vitest';
import { randomId, randomNonce, resolveRequestId } from './ids.js';
import { parseBytes, parseMs } from './options.js';

describe('request id, nonce, sizes', () => {
  it('accepts valid ids and replaces the rest', () => {
    const gen = () => 'fresh';
    expect(resolveRequestId('a-b_c.d:e@f+g/h=', gen)).toBe('a-b_c.d:e@f+g/h=');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'a\r\nb', ['a']])
      expect(resolveRequestId(bad, gen)).toBe('fresh');
  });
  it('makes UUIDv4 request ids: RFC 9562 layout, all distinct across several pool refills, every hex digit used', () => {
    const n = 5000; // 20 text refills (256 ids each) and 2 random-pool refills (4096 ids each)
    const seen = new Set<string>();
    const digits = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const id = randomId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      // the 30 hex digits that are all random (not version, not variant): each of the 16 values shows up evenly
      for (const c of id.replace(/-/g, '').slice(0, 12) +
        id.replace(/-/g, '').slice(13, 16) +
        id.replace(/-/g, '').slice(17))
        digits.set(c, (digits.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(n);
    expect(resolveRequestId(undefined, randomId)).toMatch(/^[0-9a-f-]{36}$/);
    // 5000 x 30 digits: 9375 expected per value; a broken byte-to-hex map or a stuck pool would be far off
    expect(digits.size).toBe(16);
    for (const count of digits.values()) expect(Math.abs(count - 9375)).toBeLessThan(600);
  });
  it('makes 128-bit base64 nonces that differ, sharing the random pool with ids without reusing a byte', () => {
    const a = randomNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(randomNonce()).not.toBe(a);
    // 6000 nonces and 6000 ids (3 refills of the 64 KiB pool): every 16-byte draw distinct, bytes evenly spread
    const nonces = new Set<string>();
    const ids = new Set<string>();
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 6000; i++) {
      const n = randomNonce();
      nonces.add(n);
      for (const byte of Buffer.from(n, 'base64')) counts[byte]!++;
      ids.add(randomId().replace(/-/g, ''));
    }
    expect(nonces.size).toBe(6000);
    expect(ids.size).toBe(6000);
    // 96000 bytes: 375 expected per value; a stuck or reused pool would be far off
    for (const c of counts) expect(Math.abs(c - 375)).toBeLessThan(120);
  });
  it('parses byte sizes and durations, naming the option on errors', () => {
    expect(parseBytes('1mb', 'x')).toBe(1048576);
    expect(parseBytes('512 KiB', 'x')).toBe(524288);
    expect(parseBytes(10, 'x')).toBe(10);
    expect(() => parseBytes('1 parsec', 'hono: bodyLimit')).toThrow(/hono: bodyLimit must be a byte count/);
    expect(() => parseBytes(-1, 'x')).toThrow(RangeError);
    expect(() => parseMs(0, 'express: timeoutMs')).toThrow(
      /express: timeoutMs must be a number of milliseconds in \(0, 2\^31-1\], got 0/,
    );
  });
});
