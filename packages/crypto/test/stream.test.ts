import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Cipher,
  createCipher,
  createKeyring,
  inspectEnvelope,
  isAuthenticationError,
  memoryKeyStore,
} from '../src/index.js';
import { toHex } from './helpers.js';

const CS = 1024; // small chunks keep the tests fast; the format is the same at 64 KiB

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}
const join = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

async function setup(chunkSize = CS): Promise<Cipher> {
  const keyring = await createKeyring({ store: memoryKeyStore() });
  return createCipher({ keyring, chunkSize });
}

/** Splits bytes into random-sized pieces, to exercise re-chunking. */
function pieces(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, b.length]) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  return out;
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected failure');
}

describe('encryptStream / decryptStream', () => {
  it('round-trips any data split into any pieces, at chunk-boundary sizes too', async () => {
    const cipher = await setup();
    const sizes = fc.oneof(
      fc.constantFrom(0, 1, CS - 1, CS, CS + 1, 2 * CS, 3 * CS + 7),
      fc.integer({ min: 0, max: 5 * CS }),
    );
    await fc.assert(
      fc.asyncProperty(
        sizes,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (n, c1, c2) => {
          const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255);
          const sealed = join(await collect(cipher.encryptStream(pieces(data, c1), { aad: 'f1' })));
          const records = Math.max(1, Math.ceil(n / CS));
          expect(sealed.length).toBe(inspectHeaderLength(sealed) + n + 16 * records);
          const plain = join(await collect(cipher.decryptStream(pieces(sealed, c2), { aad: 'f1' })));
          expect(toHex(plain)).toBe(toHex(data));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('emits one record per chunk, each exactly chunk + tag bytes', async () => {
    const cipher = await setup();
    const out = await collect(cipher.encryptStream([new Uint8Array(2 * CS + 5)]));
    expect(out.map((b) => b.length).slice(1)).toEqual([CS + 16, CS + 16, 5 + 16]);
    expect(inspectEnvelope(out[0]!).kind).toBe('stream');
  });

  async function sealedRecords(cipher: Cipher, n: number, aad = 'x') {
    const data = Uint8Array.from({ length: n }, (_, i) => i & 255);
    const [header, ...recs] = await collect(cipher.encryptStream([data], { aad }));
    return { header: header!, recs };
  }

  it('detects truncation at every chunk boundary and inside chunks', async () => {
    const cipher = await setup();
    const { header, recs } = await sealedRecords(cipher, 3 * CS + 10);
    const whole = join([header, ...recs]);
    for (let keep = 0; keep < recs.length; keep++) {
      const cut = join([header, ...recs.slice(0, keep)]);
      expect(isAuthenticationError(await rejects(collect(cipher.decryptStream([cut], { aad: 'x' }))))).toBe(true);
    }
    for (const len of [1, 3, header.length - 1, header.length + 5, whole.length - 1, whole.length - 17]) {
      const e = await rejects(collect(cipher.decryptStream([whole.subarray(0, len)], { aad: 'x' })));
      expect(isAuthenticationError(e), `length ${len}`).toBe(true);
    }
  });

  it('detects a stream whose data is an exact multiple of the chunk size cut at a boundary', async () => {
    const cipher = await setup();
    const { header, recs } = await sealedRecords(cipher, 2 * CS);
    expect(recs).toHaveLength(2);
    expect(isAuthenticationError(await rejects(collect(cipher.decryptStream([header, recs[0]!], { aad: 'x' }))))).toBe(
      true,
    );
  });

  it('detects reordering, duplication, trailing data and chunks swapped in from another stream', async () => {
    const cipher = await setup();
    const a = await sealedRecords(cipher, 3 * CS + 1);
    const b = await sealedRecords(cipher, 3 * CS + 1);
    const [r0, r1, r2, r3] = a.recs as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const cases: Record<string, Uint8Array[]> = {
      reordered: [a.header, r1, r0, r2, r3],
      duplicated: [a.header, r0, r0, r1, r2, r3],
      trailing: [a.header, r0, r1, r2, r3, new Uint8Array([1])],
      'extra chunk after last': [a.header, r0, r1, r2, r3, r3],
      'swapped from other stream': [a.header, r0, b.recs[1]!, r2, r3],
      'other header': [b.header, r0, r1, r2, r3],
      'last chunk moved': [a.header, r0, r1, r3],
    };
    for (const [name, parts] of Object.entries(cases)) {
      const e = await rejects(collect(cipher.decryptStream(parts, { aad: 'x' })));
      expect(isAuthenticationError(e), name).toBe(true);
    }
    expect(
      isAuthenticationError(await rejects(collect(cipher.decryptStream([a.header, ...a.recs], { aad: 'y' })))),
    ).toBe(true);
  });

  it('any single-bit flip anywhere in a stream fails authentication (property)', async () => {
    const cipher = await setup();
    const { header, recs } = await sealedRecords(cipher, 2 * CS + 100);
    const whole = join([header, ...recs]);
    await fc.assert(
      fc.asyncProperty(fc.nat(whole.length - 1), fc.integer({ min: 0, max: 7 }), async (pos, bit) => {
        const bad = whole.slice();
        bad[pos]! ^= 1 << bit;
        expect(isAuthenticationError(await rejects(collect(cipher.decryptStream([bad], { aad: 'x' }))))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('records and chunks handed out stay intact when kept, even when the source reuses its buffer', async () => {
    const cipher = await setup();
    const total = 4 * CS + 300;
    const expected = Uint8Array.from({ length: total }, (_, i) => (Math.floor(i / CS) * 101 + i) & 255);
    const shared = new Uint8Array(700);
    async function* source() {
      for (let off = 0; off < total; off += shared.length) {
        const n = Math.min(shared.length, total - off);
        shared.set(expected.subarray(off, off + n));
        yield shared.subarray(0, n);
        shared.fill(0); // reused by the producer once the piece was taken
      }
    }
    const records = await collect(cipher.encryptStream(source(), { aad: 'k' })); // kept, not copied
    expect(new Set(records.map((r) => r.buffer)).size).toBe(records.length);
    const chunks = await collect(cipher.decryptStream(records, { aad: 'k' }));
    expect(chunks.map((c) => c.length)).toEqual([CS, CS, CS, CS, 300]);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
    for (const [i, c] of chunks.entries())
      expect(toHex(c), `chunk ${i}`).toBe(toHex(expected.subarray(i * CS, (i + 1) * CS)));
  });

  it('rejects non-byte pieces with a clear error', async () => {
    const cipher = await setup();
    await expect(collect(cipher.encryptStream(['text'] as never))).rejects.toThrow(/source yielded a string/);
  });
});

function inspectHeaderLength(b: Uint8Array): number {
  return 3 + b[2]! + 16 + 4;
}
