import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type ByteSource, type Cipher, cipherInternal } from './cipher.js';
import { CryptoError, invalidArgument, invalidOption, isAuthenticationError } from './errors.js';
import { fsyncDir } from './file-key-store.js';
import { concat, describe, fromUtf8, isBytes, toBase64url, utf8 } from './internal/bytes.js';
import { TAG_LENGTH } from './internal/format.js';
import { Gcm256 } from './internal/gcm-into.js';
import { rechunk } from './internal/rechunk.js';

/** Options for {@link secureStorage}. */
export interface SecureStorageOptions {
  /** Directory holding the encrypted files (created with mode 0700 when missing). */
  dir: string;
  /** Cipher from `createCipher()`; its keyring's primary key seals new files. */
  cipher: Cipher;
  /**
   * Low-memory mode (default `false`): for AES-256-GCM files, `put` seals every record into one reused buffer and
   * `getStream` decrypts every record into one reused buffer, with a pure-JS AES-GCM (built on @noble/ciphers) that
   * writes into caller buffers, so streaming allocates nothing per record and RSS stays flat (measured: ~6 MiB of
   * growth and ~60 MiB peak RSS for a 1 GiB round trip, against ~27–32 MiB and ~82–86 MiB by default) — about 4–5x
   * slower to write and 6–11x slower to read than the default native AES-GCM. The file format is unchanged: files written in either mode read in
   * the other.
   *
   * **Contract:** each chunk yielded by `getStream` is then a view of one reused buffer, valid only until the
   * iteration is resumed; consume or copy it before asking for the next (`get` copies). Files under other algorithms
   * (XChaCha20-Poly1305, AES-256-GCM-SIV) take the default path even in this mode.
   */
  lowMemory?: boolean;
}

/** Public description of a stored file (decrypted metadata). */
export interface StoredInfo {
  /** Opaque id returned by `put`. */
  id: string;
  /** Name given to `put` (stored encrypted). */
  name: string;
  /** Metadata given to `put` (stored encrypted). */
  metadata: Record<string, unknown>;
  /** Plaintext size in bytes. */
  size: number;
  /** When it was stored, ms since the epoch. */
  createdAt: number;
}

/** A file that `list()` could not read, and why. */
export interface UnreadableFile {
  /** The file's id (from its name). */
  id: string;
  /**
   * Why it could not be read: a `CryptoError` with code `ERR_STORAGE_CORRUPT` for a truncated, tampered or foreign
   * file (or one sealed under a key the keyring does not hold), or the file system's error (`code` such as `EACCES`).
   */
  error: Error;
}

/** What `list()` found: the files it could read, and the ones it could not. */
export interface StorageListing {
  /** Every readable file, in id order. */
  files: StoredInfo[];
  /** Every file that could not be read (empty when all is well). One bad file never hides the others. */
  unreadable: UnreadableFile[];
}

/** Data accepted by `put`: bytes, text, or any byte stream (Node Readable, web ReadableStream, async generator). */
export type StorageInput = Uint8Array | string | ByteSource;

/** Per-call options. */
export interface StorageCallOptions {
  /** Aborts the operation between chunks; a put then leaves nothing behind. */
  signal?: AbortSignal;
}

/** Encrypted file storage. */
export interface SecureStorage {
  /**
   * Stores data (streamed in 64 KiB authenticated chunks, constant memory), atomically. Resolves to the new id. Stream
   * sources may reuse their buffers: each piece is copied before the next one is requested.
   */
  put(name: string, data: StorageInput, metadata?: Record<string, unknown>, opts?: StorageCallOptions): Promise<string>;
  /** Reads and decrypts a whole file into memory. */
  get(id: string, opts?: StorageCallOptions): Promise<StoredInfo & { data: Uint8Array }>;
  /**
   * Opens a file for streaming decryption with constant memory. Each yielded chunk (the chunk size the file was
   * written with, 64 KiB by default; the last one shorter) is authenticated and is a fresh array the consumer owns, so
   * it may be kept or handed to a writer that holds on to it. Truncation or tampering throws at the latest when the
   * iteration reaches the end, so discard partial output on error.
   *
   * With `lowMemory: true` (AES-256-GCM files) every yielded chunk is instead a view of ONE reused buffer: it is valid
   * only until the iteration is resumed (the next `next()` call overwrites it). Consume it at once (hash it, write it
   * and await the write) or copy it (`chunk.slice()`) before asking for the next one.
   */
  getStream(id: string, opts?: StorageCallOptions): Promise<StoredInfo & { stream: AsyncIterable<Uint8Array> }>;
  /** Reads a file's metadata only. */
  info(id: string): Promise<StoredInfo>;
  /** Deletes a file; resolves false when it did not exist. */
  delete(id: string): Promise<boolean>;
  /**
   * Lists every stored file, decrypting each file's metadata. A file that cannot be read (truncated, tampered, not
   * readable) does not fail the listing: it is reported in `unreadable` with its error, beside the good `files`.
   * Rejects only when the directory itself cannot be read, or when `signal` aborts.
   */
  list(opts?: StorageCallOptions): Promise<StorageListing>;
}

const MAGIC = utf8('OCSF');
const LAYOUT_VERSION = 1;
const PREFIX = 9; // magic(4) | layout version(1) | metadata envelope length(u32be)
const MAX_META = 1 << 20;
const MAX_STREAM_HEADER = 3 + 64 + 16 + 4; // version | alg | L | keyId (<= 64) | salt | chunk size
const ID_RE = /^[A-Za-z0-9_-]{22}$/;
const FILE_RE = /^([A-Za-z0-9_-]{22})\.ocs$/;
const metaAad = (id: string) => utf8(`@org/crypto/secureStorage/meta/${id}`);
const dataAad = (id: string) => utf8(`@org/crypto/secureStorage/data/${id}`);

const notFound = (id: string) => new CryptoError('ERR_STORAGE_NOT_FOUND', `secureStorage: no file with id ${id}`);
const corrupt = (id: string, why: string) =>
  new CryptoError('ERR_STORAGE_CORRUPT', `secureStorage: file ${id} is corrupt or tampered (${why})`);

const isSource = (d: unknown): boolean =>
  typeof d === 'object' && d !== null && (Symbol.asyncIterator in d || Symbol.iterator in d);

async function* toSource(data: StorageInput): AsyncGenerator<Uint8Array> {
  if (typeof data === 'string') yield utf8(data);
  else if (isBytes(data)) yield data;
  else if (isSource(data)) {
    for await (const piece of data as AsyncIterable<unknown>) {
      if (typeof piece === 'string') yield utf8(piece);
      else if (isBytes(piece)) yield piece;
      else
        throw invalidArgument(
          TypeError,
          `secureStorage.put: data stream yielded ${describe(piece)}, expected Uint8Array`,
        );
    }
  } else
    throw invalidArgument(
      TypeError,
      `secureStorage.put: data must be bytes, a string or a byte stream, got ${describe(data)}`,
    );
}

/** Reads exactly `n` bytes at `pos` into `buf`, or throws ERR_STORAGE_CORRUPT when the file ends first. */
async function readFully(
  fh: Awaited<ReturnType<typeof open>>,
  buf: Uint8Array,
  n: number,
  pos: number,
  id: string,
): Promise<void> {
  for (let off = 0; off < n; ) {
    const { bytesRead } = await fh.read(buf, off, n - off, pos + off);
    if (bytesRead === 0) throw corrupt(id, 'truncated');
    off += bytesRead;
  }
}

/**
 * Encrypted file storage in a directory. Layout of each `<id>.ocs` file: `"OCSF" | 1 | u32be n | metadata envelope
 * (n bytes) | encrypted stream` — see the README. Writes go to a temp file that is fsynced and renamed into place.
 * Node-only (in `@org/crypto/node`).
 */
export function secureStorage(opts: SecureStorageOptions): SecureStorage {
  const dir = opts?.dir;
  const cipher = opts?.cipher;
  if (typeof dir !== 'string' || dir === '')
    throw invalidOption(TypeError, 'secureStorage: dir must be a non-empty string');
  if (!cipher || typeof cipher.encryptStream !== 'function')
    throw invalidOption(TypeError, 'secureStorage: cipher must come from createCipher()');
  const internal = cipherInternal('secureStorage', cipher);
  const lowMemory = opts.lowMemory ?? false;
  if (typeof lowMemory !== 'boolean')
    throw invalidOption(TypeError, `secureStorage: lowMemory must be a boolean, got ${describe(lowMemory)}`);
  let ready: Promise<unknown> | null = null;
  const ensureDir = () => (ready ??= mkdir(dir, { recursive: true, mode: 0o700 }));
  const fileOf = (id: unknown): string => {
    if (typeof id !== 'string')
      throw invalidArgument(TypeError, `secureStorage: id must be a string, got ${describe(id)}`);
    if (!ID_RE.test(id)) throw notFound(JSON.stringify(id));
    return join(dir, `${id}.ocs`);
  };

  /** Reads and authenticates the metadata and locates the stream. */
  const head = async (id: string): Promise<StoredInfo & { streamStart: number }> => {
    const path = fileOf(id);
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') throw notFound(id);
      throw e;
    }
    try {
      const { size: fileSize } = await fh.stat();
      const readAt = async (pos: number, n: number): Promise<Uint8Array> => {
        const b = new Uint8Array(n);
        const { bytesRead } = await fh.read(b, 0, n, pos);
        if (bytesRead !== n) throw corrupt(id, 'truncated header');
        return b;
      };
      const pre = await readAt(0, PREFIX);
      if (pre[0] !== MAGIC[0] || pre[1] !== MAGIC[1] || pre[2] !== MAGIC[2] || pre[3] !== MAGIC[3])
        throw corrupt(id, 'bad magic');
      if (pre[4] !== LAYOUT_VERSION) throw corrupt(id, `unknown layout version ${pre[4]}`);
      const metaLen = new DataView(pre.buffer).getUint32(5);
      if (metaLen > MAX_META || PREFIX + metaLen + 3 > fileSize) throw corrupt(id, 'bad metadata length');
      const metaEnv = await readAt(PREFIX, metaLen);
      let meta: { name: string; metadata: Record<string, unknown>; createdAt: number };
      let text: string;
      try {
        text = fromUtf8(await cipher.decrypt(metaEnv, { aad: metaAad(id) }));
      } catch (e) {
        if (isAuthenticationError(e)) throw corrupt(id, `metadata: ${e.message}`);
        throw e;
      }
      try {
        meta = JSON.parse(text);
      } catch {
        throw corrupt(id, 'metadata is not JSON');
      }
      // Authenticated, so written by someone holding the key; still checked, as every reader relies on the shape.
      if (
        typeof meta !== 'object' ||
        meta === null ||
        typeof meta.name !== 'string' ||
        typeof meta.metadata !== 'object' ||
        meta.metadata === null ||
        typeof meta.createdAt !== 'number'
      )
        throw corrupt(id, 'metadata has the wrong shape');
      // Plaintext size from the stream header: version | alg | L | keyId(L) | salt(16) | chunkSize(u32be).
      const streamStart = PREFIX + metaLen;
      const l = (await readAt(streamStart + 2, 1))[0]!;
      const headerLen = 3 + l + 16 + 4;
      if (streamStart + headerLen > fileSize) throw corrupt(id, 'truncated header');
      const cs = new DataView((await readAt(streamStart + headerLen - 4, 4)).buffer).getUint32(0);
      if (cs < 1024) throw corrupt(id, 'bad chunk size');
      const dataLen = fileSize - streamStart - headerLen;
      const records = Math.ceil(dataLen / (cs + TAG_LENGTH));
      const size = Math.max(0, dataLen - records * TAG_LENGTH);
      return { id, name: meta.name, metadata: meta.metadata, createdAt: meta.createdAt, size, streamStart };
    } finally {
      await fh.close();
    }
  };

  const openStream = async (id: string, o?: StorageCallOptions) => {
    const h = await head(id);
    const signal = o?.signal;
    // The file is opened on first read and closed when the iteration ends or is abandoned with break/return, so an
    // unread stream holds no file handle. Records are read whole, one at a time, into one reused buffer; each yielded
    // chunk is a fresh array that the consumer owns (decryption writes it), so keeping chunks is safe. Whether a
    // record is the last one comes from the size of the open file; the last-chunk flag authenticates that.
    async function* records(): AsyncGenerator<Uint8Array> {
      const fh = await open(fileOf(id), 'r');
      try {
        const { size: end } = await fh.stat();
        let pos = h.streamStart;
        const header = new Uint8Array(Math.max(0, Math.min(MAX_STREAM_HEADER, end - pos)));
        await readFully(fh, header, header.length, pos, id);
        const s = await internal.opener(header, dataAad(id), 'secureStorage');
        if (typeof s === 'number') throw corrupt(id, 'truncated header');
        pos += s.headerLength;
        const rec = new Uint8Array(s.recordLength);
        // Opens one record (`last`: whether the stream ends after it) into a fresh chunk, or, in low-memory mode,
        // into one reused plaintext buffer whose views are yielded.
        let openRecord = (record: Uint8Array, last: boolean): Uint8Array => s.open(record, last);
        const r = s.records;
        if (lowMemory && r.algorithm === 'aes-256-gcm') {
          const gcm = new Gcm256(r.key);
          const plain = new Uint8Array(s.recordLength - TAG_LENGTH);
          openRecord = (record, last) => {
            r.next(record.length, last);
            let len: number;
            try {
              len = gcm.openInto(r.nonce, r.aad, record, plain);
            } catch (e) {
              throw r.fail(e);
            }
            return len === plain.length ? plain : plain.subarray(0, len);
          };
        }
        do {
          const n = Math.min(rec.length, end - pos);
          await readFully(fh, rec, n, pos, id);
          pos += n;
          yield openRecord(n === rec.length ? rec : rec.subarray(0, n), pos === end);
        } while (pos < end);
      } finally {
        await fh.close();
      }
    }
    async function* stream(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of records()) {
          signal?.throwIfAborted();
          yield chunk;
        }
      } catch (e) {
        if (isAuthenticationError(e)) throw corrupt(id, `data: ${e.message}`);
        throw e;
      }
    }
    const { streamStart: _s, ...info } = h;
    return { ...info, stream: stream() };
  };

  return {
    async put(name, data, metadata = {}, o) {
      if (typeof name !== 'string')
        throw invalidArgument(TypeError, `secureStorage.put: name must be a string, got ${describe(name)}`);
      if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
        throw invalidArgument(
          TypeError,
          `secureStorage.put: metadata must be a plain object, got ${describe(metadata)}`,
        );
      if (typeof data !== 'string' && !isBytes(data) && !isSource(data))
        throw invalidArgument(
          TypeError,
          `secureStorage.put: data must be bytes, a string or a byte stream, got ${describe(data)}`,
        );
      const signal = o?.signal;
      signal?.throwIfAborted();
      await ensureDir();
      const id = toBase64url(nodeRandomBytes(16));
      const final = fileOf(id);
      const tmp = join(dir, `.${id}.${process.pid}.tmp`);
      const metaEnv = await cipher.encrypt(utf8(JSON.stringify({ name, metadata, createdAt: Date.now() })), {
        aad: metaAad(id),
      });
      if (metaEnv.length > MAX_META)
        throw invalidArgument(RangeError, 'secureStorage.put: metadata must be under 1 MiB');
      const pre = new Uint8Array(PREFIX);
      pre.set(MAGIC);
      pre[4] = LAYOUT_VERSION;
      new DataView(pre.buffer).setUint32(5, metaEnv.length);
      const sealer = await internal.sealer(dataAad(id));
      const fh = await open(tmp, 'wx', 0o600);
      let pos = 0;
      const write = async (b: Uint8Array) => {
        for (let off = 0; off < b.length; ) {
          const { bytesWritten } = await fh.write(b, off, b.length - off, pos);
          off += bytesWritten;
          pos += bytesWritten;
        }
      };
      // Writes the parts of one record in one writev, finishing a short write piece by piece.
      const writev = async (parts: Uint8Array[]) => {
        const { bytesWritten } = await fh.writev(parts, pos);
        pos += bytesWritten;
        let skip = bytesWritten;
        for (const p of parts) {
          if (skip >= p.length) skip -= p.length;
          else {
            await write(p.subarray(skip)); // short write (rare): finish piece by piece
            skip = 0;
          }
        }
      };
      try {
        await write(concat(pre, metaEnv, sealer.header));
        // Seals one chunk as ciphertext + tag for one writev (no record buffer, no copy), or, in low-memory mode,
        // into one reused record buffer (same bytes).
        let seal = (chunk: Uint8Array, last: boolean): Uint8Array[] => sealer.sealParts(chunk, last);
        const r = sealer.records;
        if (lowMemory && r.algorithm === 'aes-256-gcm') {
          const gcm = new Gcm256(r.key);
          const rec = new Uint8Array(sealer.chunkSize + TAG_LENGTH);
          const one = [rec];
          seal = (chunk, last) => {
            r.next(last);
            gcm.sealInto(r.nonce, r.aad, chunk, rec, 0);
            one[0] = chunk.length === sealer.chunkSize ? rec : rec.subarray(0, chunk.length + TAG_LENGTH);
            return one;
          };
        }
        for await (const [chunk, last] of rechunk(toSource(data), sealer.chunkSize, 'secureStorage.put')) {
          signal?.throwIfAborted();
          await writev(seal(chunk, last));
        }
        await fh.sync();
      } catch (e) {
        await fh.close().catch(() => undefined);
        await unlink(tmp).catch(() => undefined);
        throw e;
      }
      await fh.close();
      await rename(tmp, final);
      await fsyncDir(dir);
      return id;
    },
    async get(id, o) {
      const { stream, ...info } = await openStream(id, o);
      const data = new Uint8Array(info.size);
      let off = 0;
      for await (const chunk of stream) {
        if (off + chunk.length > data.length) throw corrupt(id, 'longer than its recorded size');
        data.set(chunk, off);
        off += chunk.length;
      }
      if (off !== data.length) throw corrupt(id, 'shorter than its recorded size');
      return { ...info, data };
    },
    getStream: openStream,
    async info(id) {
      const { streamStart: _s, ...info } = await head(id);
      return info;
    },
    async delete(id) {
      try {
        await unlink(fileOf(id));
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return false;
        throw e;
      }
      await fsyncDir(dir);
      return true;
    },
    async list(o) {
      const signal = o?.signal;
      signal?.throwIfAborted();
      const listing: StorageListing = { files: [], unreadable: [] };
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return listing;
        throw e;
      }
      for (const n of names.sort()) {
        const m = FILE_RE.exec(n);
        if (!m) continue;
        signal?.throwIfAborted();
        const id = m[1]!;
        try {
          const { streamStart: _s, ...info } = await head(id);
          listing.files.push(info);
        } catch (e) {
          const code = (e as { code?: unknown } | null)?.code;
          if (code === 'ERR_STORAGE_NOT_FOUND' || code === 'ENOENT') continue; // deleted meanwhile
          listing.unreadable.push({ id, error: e instanceof Error ? e : corrupt(id, `reading it threw ${typeof e}`) });
        }
      }
      return listing;
    },
  };
}
