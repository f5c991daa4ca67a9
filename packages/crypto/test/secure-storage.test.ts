import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createCipher, createKeyring, isCryptoError, memoryKeyStore } from '../src/index.js';
import { secureStorage } from '../src/node.js';
import { toHex } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'org-crypto-ss-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function setup() {
  const dir = join(root, `s${++n}`);
  const keyring = await createKeyring({ store: memoryKeyStore() });
  const cipher = createCipher({ keyring });
  return { dir, keyring, cipher, storage: secureStorage({ dir, cipher }) };
}

const bytes = (len: number, seed = 1) => Uint8Array.from({ length: len }, (_, i) => (i * 7 + seed) & 255);
const KB64 = 65536;
/** A source that aborts `ac` after its first 64 KiB chunk (and would go on yielding). */
async function* abortsAfterOneChunk(ac: AbortController) {
  yield bytes(KB64);
  ac.abort(new Error('stop'));
  yield bytes(KB64);
  yield bytes(KB64);
}

describe('secureStorage', () => {
  it('put/get/info/list/delete with metadata; names and metadata are not stored in the clear', async () => {
    const { dir, storage } = await setup();
    const id = await storage.put('invoice-2024.pdf', bytes(1000), { owner: 'alice', tags: ['x'] });
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const got = await storage.get(id);
    expect(got.name).toBe('invoice-2024.pdf');
    expect(got.metadata).toEqual({ owner: 'alice', tags: ['x'] });
    expect(got.size).toBe(1000);
    expect(toHex(got.data)).toBe(toHex(bytes(1000)));
    const raw = readFileSync(join(dir, `${id}.ocs`));
    expect(raw.includes(Buffer.from('invoice-2024'))).toBe(false);
    expect(raw.includes(Buffer.from('alice'))).toBe(false);
    const id2 = await storage.put('notes.txt', 'hello');
    expect((await storage.list()).files.map((i) => [i.name, i.size]).sort()).toEqual([
      ['invoice-2024.pdf', 1000],
      ['notes.txt', 5],
    ]);
    expect(await storage.delete(id)).toBe(true);
    expect(await storage.delete(id)).toBe(false);
    expect((await storage.list()).files.map((i) => i.id)).toEqual([id2]);
    await expect(storage.get(id)).rejects.toMatchObject({ code: 'ERR_STORAGE_NOT_FOUND' });
    await expect(storage.get('../../etc/passwd')).rejects.toMatchObject({ code: 'ERR_STORAGE_NOT_FOUND' });
  });

  it('list() returns the good files and reports each unreadable one (truncated, garbage, a directory), never rejects for one file', async () => {
    const { dir, storage } = await setup();
    const good1 = await storage.put('a.txt', 'alpha', { n: 1 });
    const good2 = await storage.put('b.txt', bytes(3 * KB64), { n: 2 });
    const truncated = await storage.put('c.txt', bytes(KB64));
    const garbage = await storage.put('d.txt', 'delta');
    const path = (id: string) => join(dir, `${id}.ocs`);
    truncateSync(path(truncated), 20); // cut inside the metadata envelope
    writeFileSync(path(garbage), 'not a secureStorage file at all');
    const asDir = 'ZZZZZZZZZZZZZZZZZZZZZZ';
    mkdirSync(path(asDir)); // a directory where a file should be: an I/O error, not a crypto one
    writeFileSync(join(dir, 'unrelated.txt'), 'ignored: not a storage file name');
    const listing = await storage.list();
    expect(listing.files.map((f) => [f.id, f.name, f.size, f.metadata]).sort()).toEqual(
      [
        [good1, 'a.txt', 5, { n: 1 }],
        [good2, 'b.txt', 3 * KB64, { n: 2 }],
      ].sort(),
    );
    const bad = Object.fromEntries(listing.unreadable.map((u) => [u.id, u.error]));
    expect(Object.keys(bad).sort()).toEqual([asDir, garbage, truncated].sort());
    expect(bad[truncated]).toMatchObject({ code: 'ERR_STORAGE_CORRUPT' });
    expect(bad[truncated]!.message).toContain(truncated);
    expect(bad[garbage]).toMatchObject({ code: 'ERR_STORAGE_CORRUPT', message: expect.stringMatching(/bad magic/) });
    expect(bad[asDir]).toMatchObject({ code: 'EISDIR' });
    // The good files still read; the bad ones still throw on their own.
    expect(new TextDecoder().decode((await storage.get(good1)).data)).toBe('alpha');
    await expect(storage.get(truncated)).rejects.toMatchObject({ code: 'ERR_STORAGE_CORRUPT' });
    // A missing directory lists as empty; an aborted list rejects with the signal's reason.
    expect(await secureStorage({ dir: join(dir, 'nope'), cipher: (await setup()).cipher }).list()).toEqual({
      files: [],
      unreadable: [],
    });
    await expect(storage.list({ signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
  });

  it('stores sizes around the 64 KiB chunk boundary exactly, from Node streams, web streams and generators', async () => {
    const { storage } = await setup();
    for (const size of [0, 1, KB64 - 1, KB64, KB64 + 1, 3 * KB64]) {
      const data = bytes(size, size);
      const id = await storage.put(`f${size}`, Readable.from([data.subarray(0, 100), data.subarray(100)]));
      const info = await storage.info(id);
      expect(info.size).toBe(size);
      const out: Uint8Array[] = [];
      for await (const c of (await storage.getStream(id)).stream) out.push(c);
      expect(toHex(Buffer.concat(out))).toBe(toHex(data));
    }
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes(70000));
        c.close();
      },
    });
    const wid = await storage.put('web', web);
    expect((await storage.get(wid)).size).toBe(70000);
    async function* gen() {
      for (let i = 0; i < 5; i++) yield bytes(30000, i);
    }
    expect((await storage.get(await storage.put('gen', gen()))).size).toBe(150000);
  });

  it('detects truncation, chunk reordering, chunk swapping between files and whole-file swaps', async () => {
    const { dir, storage } = await setup();
    const a = await storage.put('a', bytes(3 * KB64 + 10, 1));
    const b = await storage.put('b', bytes(3 * KB64 + 10, 2));
    const pa = join(dir, `${a}.ocs`);
    const pb = join(dir, `${b}.ocs`);
    const orig = readFileSync(pa);
    const rec = KB64 + 16;
    const dataStart = orig.length - (3 * rec + 10 + 16);
    const fails = async (label: string) => {
      const e = await storage.get(a).catch((x) => x);
      expect(isCryptoError(e) && e.code, label).toBe('ERR_STORAGE_CORRUPT');
    };
    truncateSync(pa, orig.length - (10 + 16)); // drop the last chunk exactly at a boundary
    await fails('truncated at boundary');
    truncateSync(pa, orig.length - 5);
    await fails('truncated inside');
    const swapped = Buffer.from(orig);
    swapped.set(orig.subarray(dataStart + rec, dataStart + 2 * rec), dataStart);
    swapped.set(orig.subarray(dataStart, dataStart + rec), dataStart + rec);
    writeFileSync(pa, swapped);
    await fails('reordered');
    const other = readFileSync(pb);
    const mixed = Buffer.from(orig);
    mixed.set(other.subarray(dataStart + rec, dataStart + 2 * rec), dataStart + rec);
    writeFileSync(pa, mixed);
    await fails('chunk from another file');
    writeFileSync(pa, orig);
    expect((await storage.get(a)).size).toBe(3 * KB64 + 10);
    renameSync(pb, pa); // b's file under a's id
    await fails('whole file swapped');
  });

  it('streams out with the first chunk before the file is read whole, and an aborted put leaves nothing', async () => {
    const { dir, storage } = await setup();
    const id = await storage.put('big', bytes(10 * KB64));
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const { stream } = await storage.getStream(id);
    for await (const c of stream) {
      expect(c.length).toBe(KB64);
      expect(fds()).toBe(before + 1);
      break; // early exit closes the file
    }
    expect(fds()).toBe(before);
    await storage.getStream(id); // never iterated: holds no file handle
    expect(fds()).toBe(before);
    const ac = new AbortController();
    await expect(storage.put('aborted', abortsAfterOneChunk(ac), {}, { signal: ac.signal })).rejects.toThrow('stop');
    expect(readdirSync(dir)).toEqual([`${id}.ocs`]);
  });

  it('hands out chunks the consumer owns: later chunks never overwrite earlier ones (all algorithms)', async () => {
    for (const algorithm of ['aes-256-gcm', 'xchacha20-poly1305', 'aes-256-gcm-siv'] as const) {
      const keyring = await createKeyring({ store: memoryKeyStore() });
      const storage = secureStorage({
        dir: join(root, `own-${algorithm}`),
        cipher: createCipher({ keyring, algorithm }),
      });
      // Every 64 KiB chunk has its own content; the source reuses one buffer, in pieces that straddle chunks.
      const total = 5 * KB64 + 1234;
      const expected = Uint8Array.from({ length: total }, (_, i) => (Math.floor(i / KB64) * 37 + i * 13) & 255);
      const shared = new Uint8Array(50_000);
      async function* source() {
        for (let off = 0; off < total; off += shared.length) {
          const n = Math.min(shared.length, total - off);
          shared.set(expected.subarray(off, off + n));
          yield shared.subarray(0, n);
          shared.fill(0xee); // whatever the source does with its buffer afterwards must not matter
        }
      }
      const id = await storage.put('distinct', source());
      const kept: Uint8Array[] = [];
      for await (const c of (await storage.getStream(id)).stream) kept.push(c); // kept as handed out, not copied
      expect(kept.map((c) => c.length)).toEqual([KB64, KB64, KB64, KB64, KB64, 1234]);
      for (let i = 0; i < kept.length; i++)
        expect(toHex(kept[i]!), `${algorithm} chunk ${i}`).toBe(toHex(expected.subarray(i * KB64, (i + 1) * KB64)));
      expect(new Set(kept.map((c) => c.buffer)).size, 'no two chunks share memory').toBe(kept.length);
      expect(toHex((await storage.get(id)).data)).toBe(toHex(expected));
    }
  });

  it('writes the documented layout: the file body is a standard encryptStream stream', async () => {
    const { dir, cipher, storage } = await setup();
    const data = bytes(2 * KB64 + 99, 5);
    const id = await storage.put('layout', data, { k: 1 });
    const raw = new Uint8Array(readFileSync(join(dir, `${id}.ocs`)));
    expect(Buffer.from(raw.subarray(0, 5)).toString('latin1')).toBe('OCSF\x01');
    const metaLen = new DataView(raw.buffer).getUint32(5);
    const body = raw.subarray(9 + metaLen);
    const out: Uint8Array[] = [];
    for await (const c of cipher.decryptStream([body], { aad: `@org/crypto/secureStorage/data/${id}` })) out.push(c);
    expect(toHex(Buffer.concat(out))).toBe(toHex(data));
    // Records are chunk + tag bytes each, the last one holding the rest.
    const headerLen = 3 + body[2]! + 16 + 4;
    expect(body.length).toBe(headerLen + 2 * (KB64 + 16) + 99 + 16);
  });

  it('detects trailing bytes, a missing body and a cut header', async () => {
    const { dir, storage } = await setup();
    for (const size of [0, 100, KB64, 2 * KB64]) {
      const id = await storage.put('t', bytes(size, 3));
      const path = join(dir, `${id}.ocs`);
      const orig = readFileSync(path);
      const metaEnd = 9 + orig.readUInt32BE(5);
      const headerEnd = metaEnd + 3 + orig[metaEnd + 2]! + 16 + 4;
      const variants: Record<string, Buffer> = {
        'one trailing byte': Buffer.concat([orig, Buffer.from([0])]),
        'last record repeated': Buffer.concat([orig, orig.subarray(orig.length - Math.min(size, KB64) - 16)]),
        'no records': orig.subarray(0, headerEnd),
        'half a header': orig.subarray(0, metaEnd + 10),
        'tag cut': orig.subarray(0, orig.length - 1),
      };
      for (const [label, content] of Object.entries(variants)) {
        writeFileSync(path, content);
        const viaGet = await storage.get(id).catch((x) => x);
        expect(isCryptoError(viaGet) && viaGet.code, `${size} ${label} (get)`).toBe('ERR_STORAGE_CORRUPT');
        const viaStream = await (async () => {
          for await (const _ of (await storage.getStream(id)).stream);
        })().catch((x) => x);
        expect(isCryptoError(viaStream) && viaStream.code, `${size} ${label} (getStream)`).toBe('ERR_STORAGE_CORRUPT');
      }
      writeFileSync(path, orig);
      expect((await storage.get(id)).size).toBe(size);
    }
  });

  it('validates arguments', async () => {
    const { storage, cipher } = await setup();
    expect(() => secureStorage({ dir: '', cipher })).toThrow(/dir must be a non-empty string/);
    expect(() => secureStorage({ dir: 'x', cipher: {} as never })).toThrow(/cipher must come from createCipher/);
    await expect(storage.put('x', 42 as never)).rejects.toThrow(/data must be bytes, a string or a byte stream/);
    await expect(storage.put('x', 'y', [] as never)).rejects.toThrow(/metadata must be a plain object/);
  });
});

describe('secureStorage lowMemory', () => {
  async function pair(algorithm: 'aes-256-gcm' | 'xchacha20-poly1305' | 'aes-256-gcm-siv' = 'aes-256-gcm') {
    const dir = join(root, `low${++n}`);
    const keyring = await createKeyring({ store: memoryKeyStore() });
    const cipher = createCipher({ keyring, algorithm });
    return {
      dir,
      cipher,
      normal: secureStorage({ dir, cipher }),
      low: secureStorage({ dir, cipher, lowMemory: true }),
    };
  }
  const sizes = [0, 1, KB64 - 1, KB64, KB64 + 1, 3 * KB64 + 5];

  it('writes the same format: files written in either mode read in the other, and as a standard stream', async () => {
    const { dir, cipher, normal, low } = await pair();
    for (const size of sizes) {
      const data = bytes(size, size + 3);
      const byLow = await low.put(`low${size}`, Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
      const byNormal = await normal.put(`normal${size}`, data);
      for (const [writer, id] of [
        ['low', byLow],
        ['normal', byNormal],
      ] as const) {
        for (const [reader, s] of [
          ['low', low],
          ['normal', normal],
        ] as const) {
          const got = await s.get(id);
          expect(got.size, `${writer} -> ${reader} ${size}`).toBe(size);
          expect(toHex(got.data), `${writer} -> ${reader} ${size}`).toBe(toHex(data));
          const parts: Uint8Array[] = [];
          for await (const c of (await s.getStream(id)).stream) parts.push(c.slice());
          expect(toHex(Buffer.concat(parts)), `${writer} -> ${reader} ${size} (getStream)`).toBe(toHex(data));
        }
      }
      // The lowMemory file body is a standard encryptStream stream with the same record layout.
      const raw = new Uint8Array(readFileSync(join(dir, `${byLow}.ocs`)));
      const body = raw.subarray(9 + new DataView(raw.buffer).getUint32(5));
      const out: Uint8Array[] = [];
      for await (const c of cipher.decryptStream([body], { aad: `@org/crypto/secureStorage/data/${byLow}` }))
        out.push(c);
      expect(toHex(Buffer.concat(out))).toBe(toHex(data));
      const records = Math.max(1, Math.ceil(size / KB64));
      expect(body.length).toBe(3 + body[2]! + 16 + 4 + size + 16 * records);
    }
  });

  it('yields views of one reused buffer, valid until the next step; get() copies, so its data stays intact', async () => {
    const { low } = await pair();
    const total = 5 * KB64 + 1234;
    const expected = Uint8Array.from({ length: total }, (_, i) => (Math.floor(i / KB64) * 37 + i * 13) & 255);
    const id = await low.put('reuse', expected);
    const seen: Uint8Array[] = [];
    let off = 0;
    for await (const c of (await low.getStream(id)).stream) {
      expect(toHex(c), `chunk at ${off}`).toBe(toHex(expected.subarray(off, off + c.length))); // valid now
      off += c.length;
      seen.push(c);
    }
    expect(off).toBe(total);
    expect(seen.map((c) => c.length)).toEqual([KB64, KB64, KB64, KB64, KB64, 1234]);
    expect(new Set(seen.map((c) => c.buffer)).size, 'every chunk is the same reused buffer').toBe(1);
    const got = await low.get(id);
    expect(toHex(got.data)).toBe(toHex(expected));
  });

  it('detects truncation, reordering, swapped chunks, trailing bytes and tampering like the default mode', async () => {
    const { dir, low } = await pair();
    const a = await low.put('a', bytes(3 * KB64 + 10, 1));
    const b = await low.put('b', bytes(3 * KB64 + 10, 2));
    const pa = join(dir, `${a}.ocs`);
    const orig = readFileSync(pa);
    const other = readFileSync(join(dir, `${b}.ocs`));
    const rec = KB64 + 16;
    const dataStart = orig.length - (3 * rec + 10 + 16);
    const swapped = Buffer.from(orig);
    swapped.set(orig.subarray(dataStart + rec, dataStart + 2 * rec), dataStart);
    swapped.set(orig.subarray(dataStart, dataStart + rec), dataStart + rec);
    const mixed = Buffer.from(orig);
    mixed.set(other.subarray(dataStart + rec, dataStart + 2 * rec), dataStart + rec);
    const flipped = Buffer.from(orig);
    flipped[dataStart + 5]! ^= 1;
    const variants: Record<string, Buffer> = {
      'truncated at boundary': orig.subarray(0, orig.length - (10 + 16)),
      'truncated inside': orig.subarray(0, orig.length - 5),
      'tag cut to under 16 bytes': orig.subarray(0, orig.length - 20),
      reordered: swapped,
      'chunk from another file': mixed,
      'one bit flipped': flipped,
      'one trailing byte': Buffer.concat([orig, Buffer.from([0])]),
    };
    for (const [label, content] of Object.entries(variants)) {
      writeFileSync(pa, content);
      const viaGet = await low.get(a).catch((x) => x);
      expect(isCryptoError(viaGet) && viaGet.code, `${label} (get)`).toBe('ERR_STORAGE_CORRUPT');
      expect(String(viaGet.message), label).toMatch(/^secureStorage: file .* is corrupt or tampered \(/);
      const viaStream = await (async () => {
        for await (const _ of (await low.getStream(a)).stream);
      })().catch((x) => x);
      expect(isCryptoError(viaStream) && viaStream.code, `${label} (getStream)`).toBe('ERR_STORAGE_CORRUPT');
    }
    writeFileSync(pa, orig);
    expect((await low.get(a)).size).toBe(3 * KB64 + 10);
  });

  it('falls back to the default path (owned chunks) for XChaCha20-Poly1305 and AES-256-GCM-SIV', async () => {
    for (const algorithm of ['xchacha20-poly1305', 'aes-256-gcm-siv'] as const) {
      const { normal, low } = await pair(algorithm);
      const data = bytes(2 * KB64 + 7, 9);
      for (const [w, r] of [
        [low, normal],
        [normal, low],
      ] as const) {
        const id = await w.put('x', data);
        const kept: Uint8Array[] = [];
        for await (const c of (await r.getStream(id)).stream) kept.push(c);
        expect(toHex(Buffer.concat(kept)), algorithm).toBe(toHex(data));
        expect(new Set(kept.map((c) => c.buffer)).size, algorithm).toBe(kept.length);
      }
    }
  });

  it('an aborted lowMemory put leaves nothing; lowMemory must be a boolean', async () => {
    const { dir, cipher, low } = await pair();
    const ac = new AbortController();
    await expect(low.put('aborted', abortsAfterOneChunk(ac), {}, { signal: ac.signal })).rejects.toThrow('stop');
    expect(readdirSync(dir)).toEqual([]);
    expect(() => secureStorage({ dir, cipher, lowMemory: 'yes' as never })).toThrow(/lowMemory must be a boolean/);
  });
});
