import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Algorithm,
  createCipher,
  createKeyring,
  generateKeyRecord,
  memoryKeyStore,
  serializeKeys,
} from '../src/index.js';
import { randomBytes, randomInto } from '../src/internal/random.js';
import { bundleChildren } from './children/spawn.js';
import { toHex } from './helpers.js';

const POOL = 65536;
type GetRandomValues = typeof globalThis.crypto.getRandomValues;

/** A fresh copy of the module: an empty pool, whatever earlier tests drew. */
async function freshPool(): Promise<typeof import('../src/internal/random.js')> {
  vi.resetModules();
  return import('../src/internal/random.js');
}

/** Counts getRandomValues calls (and their sizes) while passing them through to the real CSPRNG. */
function countCalls(): number[] {
  const sizes: number[] = [];
  const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto) as (a: Uint8Array) => Uint8Array;
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(((a: Uint8Array) => {
    sizes.push(a.byteLength);
    return real(a);
  }) as GetRandomValues);
  return sizes;
}

/**
 * Replaces the CSPRNG with a source whose every 4-byte word is distinct and non-zero (a little-endian counter from 1),
 * so any byte handed out twice shows up as a repeated word. Requests of multiples of 4 keep pool positions aligned.
 * `fills` receives every array filled (the pool is the one filled more than once).
 */
function countingSource(): { fills: Uint8Array[] } {
  let next = 1;
  const fills: Uint8Array[] = [];
  vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(((b: Uint8Array) => {
    if (b.byteLength > 65536) throw new Error(`getRandomValues: ${b.byteLength} bytes exceeds the 65536-byte limit`);
    if (b.byteLength % 4 !== 0) throw new Error('test source fills whole words only');
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let o = 0; o < b.byteLength; o += 4) dv.setUint32(o, next++, true);
    fills.push(b);
    return b;
  }) as GetRandomValues);
  return { fills };
}

const words = (b: Uint8Array): number[] => {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let o = 0; o + 4 <= b.byteLength; o += 4) out.push(dv.getUint32(o, true));
  return out;
};

/** Chi-square statistic and the largest |count - expected| in standard deviations, over byte values 0..255. */
function spread(chunks: Uint8Array[]): { chi2: number; maxSigma: number; total: number } {
  const counts = new Float64Array(256);
  let total = 0;
  for (const c of chunks) {
    for (const v of c) counts[v]!++;
    total += c.length;
  }
  const expected = total / 256;
  const sigma = Math.sqrt(total * (1 / 256) * (255 / 256));
  let chi2 = 0;
  let maxSigma = 0;
  for (const n of counts) {
    chi2 += (n - expected) ** 2 / expected;
    maxSigma = Math.max(maxSigma, Math.abs(n - expected) / sigma);
  }
  return { chi2, maxSigma, total };
}
// 255 degrees of freedom: mean 255, standard deviation sqrt(510) ≈ 22.6. 255 + 10 sd ≈ 481: loose, never flaky.
const CHI2_MAX = 481;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('pooled random source', () => {
  it('20,000 12-byte draws are pairwise distinct across several pool refills, one getRandomValues call per 64 KiB', async () => {
    const r = await freshPool();
    const calls = countCalls();
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(toHex(r.randomBytes(12)));
    expect(seen.size).toBe(20_000);
    // 240,000 bytes = 3.66 pools: 4 fills, each the whole 64 KiB pool.
    expect(calls).toEqual([POOL, POOL, POOL, POOL]);
  });

  it('hands out every pool byte at most once, in order, and zeroes it in the pool (deterministic source)', async () => {
    const r = await freshPool();
    const { fills } = countingSource();
    // Multiples of 4, mixing the loop path (<= 32), the copy path, larger-than-left requests and direct fills.
    const sizes = [4, 12, 16, 24, 32, 36, 100, 4096, 40000, 12, 65532, 8, 65536, 70000, 200000, 12, 60000, 32];
    const pooled: number[] = [];
    const all: number[] = [];
    let draws = 0;
    for (let round = 0; round < 6; round++) {
      for (const n of sizes) {
        const b = r.randomBytes(n);
        expect(b.length).toBe(n);
        const w = words(b);
        all.push(...w);
        if (n < POOL) pooled.push(...w);
        draws++;
      }
    }
    expect(draws).toBe(6 * sizes.length);
    expect(all.includes(0)).toBe(false); // never a zeroed (already handed out) pool region
    expect(new Set(all).size).toBe(all.length); // no byte handed out twice, pooled or direct
    // Pooled bytes come out in the order the source produced them: strictly increasing words.
    for (let i = 1; i < pooled.length; i++) if (pooled[i]! <= pooled[i - 1]!) expect.fail(`word ${i} out of order`);
    // The pool (the array filled repeatedly) holds none of the words it handed out.
    const pool = fills.find((f, i) => fills.indexOf(f, i + 1) > i)!;
    expect(pool.byteLength).toBe(POOL);
    const handedOut = new Set(pooled);
    for (const w of words(pool)) if (w !== 0 && handedOut.has(w)) expect.fail(`pool still holds word ${w}`);
    // Direct fills went to the caller's own arrays in <= 64 KiB calls (the mock throws above that).
    expect(fills.every((f) => f.byteLength <= POOL)).toBe(true);
  });

  it('a request larger than what is left takes a fresh fill; what is left is served without one', async () => {
    const r = await freshPool();
    const calls = countCalls();
    const a = r.randomBytes(40000);
    expect(calls).toEqual([POOL]);
    const b = r.randomBytes(40000); // 25,536 left: too few
    expect(calls).toEqual([POOL, POOL]);
    const c = r.randomBytes(POOL - 40000); // exactly what is left
    expect(calls).toEqual([POOL, POOL]);
    const d = r.randomBytes(1); // pool empty
    expect(calls).toEqual([POOL, POOL, POOL]);
    expect(toHex(a.subarray(0, 25536))).not.toBe(toHex(b.subarray(0, 25536)));
    expect(toHex(b.subarray(0, 25536))).not.toBe(toHex(c));
    expect(spread([a, b, c]).chi2).toBeLessThan(CHI2_MAX);
    expect(d.length).toBe(1);
  });

  it('requests of 64 KiB and more are filled directly in 64 KiB calls and leave the pool alone', async () => {
    const r = await freshPool();
    const calls = countCalls();
    r.randomBytes(12);
    expect(calls).toEqual([POOL]);
    const big = r.randomBytes(3 * POOL + 3392);
    expect(calls).toEqual([POOL, POOL, POOL, POOL, 3392]);
    const exact = r.randomBytes(POOL);
    expect(calls).toEqual([POOL, POOL, POOL, POOL, 3392, POOL]);
    r.randomBytes(12); // still served from the first fill
    expect(calls.length).toBe(6);
    const parts = [0, 1, 2, 3].map((i) => big.subarray(i * POOL, Math.min(big.length, (i + 1) * POOL)));
    for (const p of [...parts, exact]) expect(spread([p]).chi2).toBeLessThan(CHI2_MAX); // every part really filled
    expect(new Set([...parts, exact].map((p) => toHex(p.subarray(0, 32)))).size).toBe(5);
  });

  it('returns independent copies: own memory, unaffected by later draws, mutation does not leak', () => {
    for (const n of [12, 16, 32, 33, 1000, 70000]) {
      const a = randomBytes(n);
      const saved = a.slice();
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(n); // not a view of the 64 KiB pool
      const b = randomBytes(n);
      expect(b.buffer).not.toBe(a.buffer);
      expect(toHex(a)).toBe(toHex(saved)); // drawing b neither zeroed nor overwrote a
      const bSaved = b.slice();
      a.fill(0xff);
      expect(toHex(b)).toBe(toHex(bSaved));
      const c = randomBytes(n);
      expect(c.every((v) => v === 0xff)).toBe(false);
      expect(toHex(c)).not.toBe(toHex(bSaved));
    }
  });

  it('randomInto writes exactly the requested range and rejects ranges that do not fit', () => {
    for (const n of [0, 1, 12, 32, 33, 5000]) {
      const dst = new Uint8Array(n + 20).fill(0xa5);
      randomInto(dst, 10, n);
      expect(dst.subarray(0, 10).every((v) => v === 0xa5)).toBe(true);
      expect(dst.subarray(10 + n).every((v) => v === 0xa5)).toBe(true);
    }
    const big = new Uint8Array(POOL + 100).fill(0xa5);
    randomInto(big, 50, POOL + 40);
    expect(big.subarray(0, 50).every((v) => v === 0xa5)).toBe(true);
    expect(big.subarray(POOL + 90).every((v) => v === 0xa5)).toBe(true);
    expect(spread([big.subarray(50, POOL + 90)]).chi2).toBeLessThan(CHI2_MAX);
    const d = new Uint8Array(16);
    expect(() => randomInto(d, 8, 9)).toThrow(RangeError);
    expect(() => randomInto(d, -1, 4)).toThrow(RangeError);
    expect(() => randomInto(d, 0, 1.5)).toThrow(RangeError);
    expect(() => randomInto(d, 0, -1)).toThrow(RangeError);
    expect(() => randomBytes(-1)).toThrow(RangeError);
  });

  it('bytes are evenly spread (each byte value within 6 sigma, loose chi-square)', () => {
    const small: Uint8Array[] = [];
    for (let i = 0; i < 20_000; i++) small.push(randomBytes(12)); // loop path, 240,000 bytes
    const copied: Uint8Array[] = [];
    for (let i = 0; i < 2_400; i++) copied.push(randomBytes(100)); // copy path, 240,000 bytes
    for (const chunks of [small, copied]) {
      const s = spread(chunks);
      expect(s.total).toBe(240_000);
      expect(s.maxSigma).toBeLessThan(6);
      expect(s.chi2).toBeLessThan(CHI2_MAX);
    }
  });
});

describe('pooled random source in a V8 startup snapshot', () => {
  it('is emptied before the snapshot is written: processes started from one snapshot draw different bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'org-crypto-snapshot-'));
    try {
      // --build-snapshot runs one CommonJS script
      const { 'snapshot-pool': script } = await bundleChildren(dir, ['snapshot-pool'], 'cjs');
      const blob = join(dir, 'pool.blob');
      const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' }).trim();
      const built = node(['--snapshot-blob', blob, '--build-snapshot', script!]);
      expect(built).toMatch(/^build [0-9a-f]{24}$/);
      const runs = [1, 2, 3].map(() => node(['--snapshot-blob', blob]));
      for (const r of runs) expect(r).toMatch(/^run [0-9a-f]{24}$/);
      expect(new Set(runs).size).toBe(3); // a pool carried in the snapshot would give all three the same bytes
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pooled randomness in the cipher', () => {
  const tiny = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
  const nonceOf = (env: Uint8Array, n: number) => toHex(env.subarray(3 + env[2]!, 3 + env[2]! + n));

  const cases: Array<[Algorithm, number, number]> = [
    ['aes-256-gcm', 12, 20_000],
    ['xchacha20-poly1305', 24, 10_000],
    ['aes-256-gcm-siv', 12, 10_000],
  ];
  for (const [algorithm, n, count] of cases) {
    it(`${algorithm}: ${count} envelope nonces of tiny messages are distinct across pool refills and all decrypt`, async () => {
      const keyring = await createKeyring({ store: memoryKeyStore([generateKeyRecord()]) });
      const cipher = createCipher({ keyring, algorithm });
      const calls = countCalls();
      const envs: Uint8Array[] = [];
      for (let i = 0; i < count; i++) envs.push(await cipher.encrypt(tiny));
      const nonces = new Set(envs.map((e) => nonceOf(e, n)));
      expect(nonces.size).toBe(count);
      // One fill per 64 KiB of nonces (+1 for the partly used pool this process started with), not one per message.
      expect(calls.length).toBeLessThanOrEqual(Math.ceil((count * n) / POOL) + 1);
      expect(calls.every((s) => s === POOL)).toBe(true);
      vi.restoreAllMocks();
      const spreadOfNonces = spread(envs.map((e) => e.subarray(3 + e[2]!, 3 + e[2]! + n)));
      expect(spreadOfNonces.chi2).toBeLessThan(CHI2_MAX);
      for (const e of envs) expect(await cipher.decrypt(e)).toEqual(tiny);
    });
  }

  it('stream salts are distinct per stream and streams still decrypt', async () => {
    const keyring = await createKeyring({ store: memoryKeyStore([generateKeyRecord()]) });
    const cipher = createCipher({ keyring });
    const salts = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const parts: Uint8Array[] = [];
      for await (const p of cipher.encryptStream([tiny])) parts.push(p);
      const head = parts[0]!;
      salts.add(toHex(head.subarray(3 + head[2]!, 3 + head[2]! + 16)));
      const out: Uint8Array[] = [];
      for await (const p of cipher.decryptStream(parts)) out.push(p);
      expect(out).toEqual([tiny]);
    }
    expect(salts.size).toBe(500);
  });

  it('injected random sources are still used for keys and ids (opts.random)', async () => {
    const asked: number[] = [];
    const random = (n: number) => {
      asked.push(n);
      return new Uint8Array(n).fill(7);
    };
    const rec = generateKeyRecord({ random });
    expect(asked).toEqual([32, 9]);
    expect(rec.key.every((v) => v === 7)).toBe(true);
    asked.length = 0;
    const keyring = await createKeyring({ store: memoryKeyStore(), random });
    expect(asked).toEqual([32, 9]);
    expect(keyring.primaryId).toBe(rec.id);
    // Sealed key files draw their nonce from the pool: two serialisations differ.
    const kek = new Uint8Array(32).fill(1);
    expect(serializeKeys([rec], { kek })).not.toBe(serializeKeys([rec], { kek }));
  });
});
