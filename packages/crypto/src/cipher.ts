import { type AeadInternal, type Algorithm, type Backend, type BackendOption, makeAead } from './aead.js';
import { AuthenticationError, CryptoError, invalidArgument, invalidOption, isAuthenticationError } from './errors.js';
import { concat, describe, fromBase64urlCanonical, fromUtf8, isBytes, toBase64url, utf8 } from './internal/bytes.js';
import {
  ALGORITHMS,
  deriveKey,
  ENVELOPE_VERSION,
  type Header,
  NONCE_LENGTH,
  readHeader,
  STREAM_VERSION,
  TAG_LENGTH,
  writeHeader,
} from './internal/format.js';
import { randomBytes, randomInto } from './internal/random.js';
import { rechunk } from './internal/rechunk.js';
import { writeU64 } from './internal/u64.js';
import { type Keyring, type KeyringInternal, keyringInternal } from './keyring.js';
import type { KeyRecord } from './keys.js';

/** Options for {@link createCipher}. */
export interface CipherOptions {
  /** Keyring from `createKeyring()`: the primary encrypts, any enabled key decrypts. */
  keyring: Keyring;
  /** Algorithm for new envelopes and streams (decryption follows the envelope). Default `'aes-256-gcm'`. */
  algorithm?: Algorithm;
  /** AES-256-GCM implementation: native where present (`'auto'`), or forced. Default `'auto'`. */
  backend?: BackendOption;
  /** Plaintext bytes per stream chunk (`encryptStream`). Default 65536; 1024 to 4194304. */
  chunkSize?: number;
}

/** Defaults applied by {@link createCipher}. */
export const CIPHER_DEFAULTS: Readonly<Required<Omit<CipherOptions, 'keyring'>>> = Object.freeze({
  algorithm: 'aes-256-gcm',
  backend: 'auto',
  chunkSize: 65536,
});

/** Per-call options: additional authenticated data that must be presented again to decrypt. */
export interface AadOptions {
  /** Caller AAD (bytes or UTF-8 text), bound to the ciphertext but not stored in it. */
  aad?: Uint8Array | string;
}

/** Byte source for streams: Node Readables, web ReadableStreams, async generators, arrays of chunks. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Envelope or stream header fields, readable without a key. */
export interface EnvelopeInfo {
  /** `'envelope'` (one message) or `'stream'` (chunked). */
  kind: 'envelope' | 'stream';
  /** Format version (1 for envelopes, 2 for streams). */
  version: number;
  /** Algorithm used. */
  algorithm: Algorithm;
  /** Id of the key that sealed it. */
  keyId: string;
}

/** Authenticated encryption bound to a keyring. */
export interface Cipher {
  /** Algorithm of new envelopes. */
  readonly algorithm: Algorithm;
  /** AES-GCM implementation in use for this cipher's key derivations (`native` or `noble`). */
  readonly backend: Backend;
  /** Seals bytes in an envelope under the primary key (rotating first when due). */
  encrypt(plaintext: Uint8Array, opts?: AadOptions): Promise<Uint8Array>;
  /**
   * Opens an envelope, finding the key by the id in its header.
   * @throws {AuthenticationError} on any modification, wrong AAD, unknown key id or malformed envelope.
   * @throws {CryptoError} `ERR_KEY_DISABLED` when the key exists but is disabled.
   */
  decrypt(envelope: Uint8Array, opts?: AadOptions): Promise<Uint8Array>;
  /** Encrypts UTF-8 text; returns the envelope as base64url. */
  encryptString(text: string, opts?: AadOptions): Promise<string>;
  /**
   * Decrypts a base64url envelope made by `encryptString`. Only its canonical text is accepted (no `=` padding, no
   * `+`/`/`, zero unused bits): any other spelling throws {@link AuthenticationError} with reason `format`.
   */
  decryptString(envelope: string, opts?: AadOptions): Promise<string>;
  /** Encrypts `JSON.stringify(value)`; returns base64url. */
  encryptJson(value: unknown, opts?: AadOptions): Promise<string>;
  /** Decrypts and parses an envelope made by `encryptJson`. */
  decryptJson<T = unknown>(envelope: string, opts?: AadOptions): Promise<T>;
  /**
   * Re-encrypts an envelope under the current primary key and this cipher's algorithm. Returns the input unchanged
   * when it is already there. Accepts bytes or base64url text and returns the same kind. Pass the same `aad`.
   */
  rewrap<T extends Uint8Array | string>(
    envelope: T,
    opts?: AadOptions,
  ): Promise<T extends string ? string : Uint8Array>;
  /** True when `rewrap` would re-encrypt (key is not the primary, or the algorithm differs). Reads the header only. */
  needsRewrap(envelope: Uint8Array | string): boolean;
  /**
   * Encrypts a byte stream in fixed-size authenticated chunks (chunk index and last-chunk flag in each chunk's AAD),
   * with constant memory. Output: header, then one record per chunk, each a fresh array the caller owns. The source's
   * pieces are copied, so the source may reuse its buffers.
   */
  encryptStream(source: ByteSource, opts?: AadOptions): AsyncIterable<Uint8Array>;
  /**
   * Decrypts a stream from `encryptStream`, yielding each chunk once it authenticates. Truncation, reordering, chunk
   * swapping between streams and trailing data all throw {@link AuthenticationError} — at the latest at the end, so
   * treat the output as untrusted until the iteration completes. Each chunk is a fresh array the caller owns (safe to
   * keep); the source's pieces are copied, so the source may reuse its buffers.
   */
  decryptStream(source: ByteSource, opts?: AadOptions): AsyncIterable<Uint8Array>;
}

const toAad = (fn: string, aad: unknown): Uint8Array | undefined => {
  if (aad === undefined) return undefined;
  if (typeof aad === 'string') return utf8(aad);
  if (isBytes(aad)) return aad;
  throw invalidArgument(TypeError, `${fn}: aad must be a Uint8Array or a string, got ${describe(aad)}`);
};

const authFail = (reason: AuthenticationError['reason'], what: string): AuthenticationError =>
  new AuthenticationError(
    reason,
    `${what}: authentication failed (${
      reason === 'tag'
        ? 'wrong key or AAD, or modified ciphertext'
        : reason === 'unknown-key'
          ? 'unknown key id'
          : reason === 'truncated'
            ? 'truncated'
            : 'malformed input'
    })`,
  );

/**
 * An envelope's bytes from its text. Only canonical base64url is accepted, so one envelope has one text form (a
 * database uniqueness check or a cache key on the text cannot be dodged by re-spelling it).
 */
function envelopeFromText(fn: string, s: string): Uint8Array {
  const b = fromBase64urlCanonical(s);
  if (typeof b === 'string')
    throw new AuthenticationError('format', `${fn}: authentication failed (not canonical base64url: ${b})`);
  return b;
}

type BufferLike = { allocUnsafeSlow(n: number): Uint8Array };
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/**
 * An output array the caller overwrites completely: skips zero-filling where the runtime offers it (Node, Bun, Deno).
 * Never a pooled Buffer, so `.buffer` exposes nothing but the envelope.
 */
function allocUninitialized(n: number): Uint8Array {
  if (NodeBuffer === undefined || n < 4096) return new Uint8Array(n);
  const b = NodeBuffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

const STREAM_SALT = 16;
/** Nonce scratch arrays for the envelope paths (public bytes, used synchronously; the AEADs copy nonces at once). */
const NONCE_12 = new Uint8Array(12);
const NONCE_24 = new Uint8Array(24);

/** A working key: the AEAD under the key derived from `master` for `alg`, and the envelope header for that key. */
interface Working {
  id: string;
  master: Uint8Array;
  alg: Algorithm;
  aead: AeadInternal;
  head: Uint8Array;
}
const MAX_CHUNKS = 2 ** 32;

/**
 * Creates a cipher that seals messages in self-describing envelopes
 * (`version | algorithm | keyId | nonce | ciphertext | tag`, header bound into the AAD) under a keyring's primary key.
 * @throws {TypeError|RangeError} on bad options, naming the option.
 */
export function createCipher(opts: CipherOptions): Cipher {
  const ki: KeyringInternal = keyringInternal('createCipher', opts?.keyring);
  const algorithm = opts.algorithm ?? CIPHER_DEFAULTS.algorithm;
  if (!ALGORITHMS.includes(algorithm))
    throw invalidOption(
      TypeError,
      `createCipher: algorithm must be one of ${ALGORITHMS.join(', ')}, got ${String(algorithm)}`,
    );
  const backend = opts.backend ?? CIPHER_DEFAULTS.backend;
  if (backend !== 'auto' && backend !== 'native' && backend !== 'noble')
    throw invalidOption(TypeError, `createCipher: backend must be 'auto', 'native' or 'noble', got ${String(backend)}`);
  const chunkSize = opts.chunkSize ?? CIPHER_DEFAULTS.chunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1024 || chunkSize > 4194304)
    throw invalidOption(
      RangeError,
      `createCipher: chunkSize must be an integer from 1024 to 4194304, got ${String(chunkSize)}`,
    );
  // Fail at construction, not at first use, when the native backend is forced but missing.
  const resolvedBackend = makeAead('createCipher', 'aes-256-gcm', new Uint8Array(32), backend).backend;

  // Working (derived) keys per key id and algorithm; the stored key is never used directly. Each entry also holds
  // the envelope header for that key and algorithm, which is the fixed part of every such envelope's AAD.
  const caches = new Map<Algorithm, Map<string, Working>>(ALGORITHMS.map((a) => [a, new Map()]));
  // The last hit is remembered: consecutive messages under one key skip both map lookups.
  let last: Working | null = null;
  const working = (k: KeyRecord, alg: Algorithm): Working => {
    if (last !== null && last.master === k.key && last.id === k.id && last.alg === alg) return last;
    const cache = caches.get(alg)!;
    let w = cache.get(k.id);
    if (w === undefined || w.master !== k.key) {
      const head = new Uint8Array(3 + k.id.length);
      writeHeader(head, ENVELOPE_VERSION, alg, k.id);
      const aead = makeAead('cipher', alg, deriveKey(k.key, `envelope/${alg}`), backend);
      w = { id: k.id, master: k.key, alg, aead, head };
      cache.set(k.id, w);
    }
    last = w;
    return w;
  };

  const checkUsable = (k: KeyRecord | undefined, keyId: string, what: string): KeyRecord => {
    if (!k) throw authFail('unknown-key', what);
    if (k.state === 'disabled') throw new CryptoError('ERR_KEY_DISABLED', `${what}: key ${keyId} is disabled`);
    return k;
  };
  const usable = async (keyId: string, what: string): Promise<KeyRecord> =>
    checkUsable(await ki.find(keyId), keyId, what);

  // Envelope hot paths build no views: nonces go through a scratch array (the AEADs copy them at once), the header
  // AAD is the cached header, and only the ciphertext itself is viewed.
  const seal = (k: KeyRecord, plaintext: Uint8Array, aad: Uint8Array | undefined): Uint8Array => {
    const { aead, head } = working(k, algorithm);
    const n = NONCE_LENGTH[algorithm];
    const hl = head.length;
    const out = allocUninitialized(hl + n + plaintext.length + TAG_LENGTH);
    for (let i = 0; i < hl; i++) out[i] = head[i]!;
    const nonce = n === 12 ? NONCE_12 : NONCE_24;
    randomInto(nonce, 0, n); // pooled: one getRandomValues call per 64 KiB of nonces, not one per message
    for (let i = 0; i < n; i++) out[hl + i] = nonce[i]!;
    aead.sealInto(nonce, plaintext, aad ? concat(head, aad) : head, out, hl + n);
    return out;
  };

  // Not `async`: the common path (key known, no rotation due) settles with one promise and no extra ticks.
  const encrypt = (plaintext: Uint8Array, o?: AadOptions): Promise<Uint8Array> => {
    try {
      if (!isBytes(plaintext))
        throw invalidArgument(TypeError, `encrypt: plaintext must be a Uint8Array, got ${describe(plaintext)}`);
      const aad = toAad('encrypt', o?.aad);
      const k = ki.acquire();
      if (k instanceof Promise) return k.then((key) => seal(key, plaintext, aad));
      return Promise.resolve(seal(k, plaintext, aad));
    } catch (e) {
      return Promise.reject(e);
    }
  };

  // The header of the last envelope decrypted, kept as its bytes: envelopes under one key all start with the same
  // bytes, and matching them is much cheaper than parsing the key id into a string again.
  let lastHead: Uint8Array | null = null;
  let lastHeader: Header | null = null;
  const envelopeHeader = (envelope: Uint8Array): Header => {
    const lh = lastHead;
    if (lh !== null && envelope.length >= lh.length) {
      let i = 0;
      while (i < lh.length && envelope[i] === lh[i]) i++;
      if (i === lh.length) return lastHeader!; // same bytes, so readHeader would return the same fields
    }
    const h = readHeader(envelope, ENVELOPE_VERSION, 'envelope');
    lastHead = envelope.slice(0, h.length);
    lastHeader = h;
    return h;
  };

  const openEnvelope = (
    envelope: Uint8Array,
    h: Header,
    aad: Uint8Array | undefined,
    found: KeyRecord | undefined,
  ): Uint8Array => {
    const k = checkUsable(found, h.keyId, 'decrypt');
    const { aead, head } = working(k, h.algorithm); // head: the same bytes as the envelope's header
    const n = aead.nonceLength;
    const nonce = n === 12 ? NONCE_12 : NONCE_24;
    for (let i = 0; i < n; i++) nonce[i] = envelope[h.length + i]!;
    try {
      return aead.openAt(nonce, envelope, h.length + n, envelope.length, aad ? concat(head, aad) : head);
    } catch (e) {
      throw isAuthenticationError(e) ? authFail('tag', 'decrypt') : e;
    }
  };

  // Like `encrypt`: no `async`, no closure per call; a known key settles with one promise.
  const decrypt = (envelope: Uint8Array, o?: AadOptions): Promise<Uint8Array> => {
    try {
      if (!isBytes(envelope))
        throw invalidArgument(TypeError, `decrypt: envelope must be a Uint8Array, got ${describe(envelope)}`);
      const aad = toAad('decrypt', o?.aad);
      const h = envelopeHeader(envelope);
      if (envelope.length < h.length + NONCE_LENGTH[h.algorithm] + TAG_LENGTH) throw authFail('format', 'decrypt');
      const k = ki.find(h.keyId);
      if (k instanceof Promise) return k.then((found) => openEnvelope(envelope, h, aad, found));
      return Promise.resolve(openEnvelope(envelope, h, aad, k));
    } catch (e) {
      return Promise.reject(e);
    }
  };

  const fromText = (fn: string, s: unknown): Uint8Array => {
    if (typeof s !== 'string')
      throw invalidArgument(TypeError, `${fn}: envelope must be a base64url string, got ${describe(s)}`);
    return envelopeFromText(fn, s);
  };

  const headerOf = (envelope: Uint8Array | string) =>
    readHeader(
      typeof envelope === 'string' ? fromText('needsRewrap', envelope) : envelope,
      ENVELOPE_VERSION,
      'envelope',
    );

  /** A sealer for one new stream under the primary key (counts as one message). */
  const sealer = async (aadOpt: Uint8Array | undefined): Promise<StreamSealer> => {
    const aad = aadOpt ?? new Uint8Array(0);
    let k = ki.acquire();
    if (k instanceof Promise) k = await k;
    const header = new Uint8Array(3 + k.id.length + STREAM_SALT + 4);
    let o2 = writeHeader(header, STREAM_VERSION, algorithm, k.id);
    const salt = randomBytes(STREAM_SALT);
    header.set(salt, o2);
    o2 += STREAM_SALT;
    new DataView(header.buffer).setUint32(o2, chunkSize);
    const key = deriveKey(k.key, `stream/${algorithm}`, salt);
    const aead = makeAead('encryptStream', algorithm, key, backend);
    const chunkAad = new Uint8Array(header.length + 9 + aad.length);
    chunkAad.set(header);
    chunkAad.set(aad, header.length + 9);
    const nonce = new Uint8Array(aead.nonceLength);
    let index = 0;
    const next = (last: boolean): void => {
      if (index >= MAX_CHUNKS) throw invalidArgument(RangeError, 'encryptStream: too many chunks (2^32)');
      writeU64(nonce, nonce.length - 8, index);
      writeU64(chunkAad, header.length, index);
      chunkAad[header.length + 8] = last ? 1 : 0;
      index++;
    };
    return {
      header,
      chunkSize,
      records: { algorithm, key, nonce, aad: chunkAad, next },
      seal(data, last) {
        next(last);
        const out = new Uint8Array(data.length + TAG_LENGTH);
        aead.sealInto(nonce, data, chunkAad, out, 0);
        return out;
      },
      sealParts(data, last) {
        next(last);
        return aead.sealParts(nonce, data, chunkAad);
      },
    };
  };

  /**
   * An opener for the stream whose header starts `head`, or, when `head` is too short, how many bytes are needed to
   * get further (the whole header once its key id length is known). Looks the key up (reloading the store once when
   * it is unknown).
   */
  const opener = async (
    head: Uint8Array,
    aadOpt: Uint8Array | undefined,
    what: string,
  ): Promise<StreamOpener | number> => {
    if (head.length < 3) return 3;
    const need = 3 + head[2]! + STREAM_SALT + 4;
    if (head.length < need && head[2]! >= 1 && head[2]! <= 64) return need; // else readHeader throws at once
    const h = readHeader(head, STREAM_VERSION, 'stream');
    const headerLength = h.length + STREAM_SALT + 4;
    const cs = new DataView(head.buffer, head.byteOffset).getUint32(h.length + STREAM_SALT);
    if (cs < 1024 || cs > 4194304) throw authFail('format', what);
    const k = await usable(h.keyId, what);
    const aad = aadOpt ?? new Uint8Array(0);
    const salt = head.subarray(h.length, h.length + STREAM_SALT);
    const key = deriveKey(k.key, `stream/${h.algorithm}`, salt);
    const aead = makeAead(what, h.algorithm, key, backend);
    const nonce = new Uint8Array(aead.nonceLength);
    const chunkAad = new Uint8Array(headerLength + 9 + aad.length);
    chunkAad.set(head.subarray(0, headerLength));
    chunkAad.set(aad, headerLength + 9);
    let index = 0;
    const next = (recordLength: number, last: boolean): void => {
      // A record shorter than a tag, or a full-size-plus record, cannot be valid; `last` decides the rest.
      if (recordLength < TAG_LENGTH || recordLength > cs + TAG_LENGTH) throw authFail('truncated', what);
      if (index >= MAX_CHUNKS) throw authFail('format', what);
      writeU64(nonce, nonce.length - 8, index);
      writeU64(chunkAad, headerLength, index);
      chunkAad[headerLength + 8] = last ? 1 : 0;
      index++;
    };
    return {
      headerLength,
      recordLength: cs + TAG_LENGTH,
      records: {
        algorithm: h.algorithm,
        key,
        nonce,
        aad: chunkAad,
        next,
        fail: (e: unknown) => (isAuthenticationError(e) ? authFail('tag', what) : e),
      },
      open(record, last) {
        next(record.length, last);
        try {
          return aead.openAt(nonce, record, 0, record.length, chunkAad);
        } catch (e) {
          throw isAuthenticationError(e) ? authFail('tag', what) : e;
        }
      },
    };
  };

  async function* encryptStream(source: ByteSource, o?: AadOptions): AsyncGenerator<Uint8Array> {
    const s = await sealer(toAad('encryptStream', o?.aad));
    yield s.header.slice();
    for await (const [data, last] of rechunk(source, chunkSize, 'encryptStream')) yield s.seal(data, last);
  }

  async function* decryptStream(source: ByteSource, o?: AadOptions): AsyncGenerator<Uint8Array> {
    const aad = toAad('decryptStream', o?.aad);
    const what = 'decryptStream';
    let head: Uint8Array = new Uint8Array(0);
    let s: StreamOpener | null = null;
    let rec: Uint8Array = new Uint8Array(0);
    let fill = 0;
    for await (const piece of source) {
      if (!isBytes(piece))
        throw invalidArgument(TypeError, `${what}: source yielded ${describe(piece)}, expected Uint8Array`);
      let off = 0;
      if (!s) {
        // Accumulate the variable-length header: version | alg | L | keyId | salt(16) | chunkSize(u32be).
        head = concat(head, piece);
        const r = await opener(head, aad, what);
        if (typeof r === 'number') continue;
        s = r;
        rec = new Uint8Array(s.recordLength);
        off = piece.length - (head.length - s.headerLength);
        head = new Uint8Array(0);
      }
      while (off < piece.length) {
        if (fill === rec.length) {
          yield s.open(rec, false);
          fill = 0;
        }
        const take = Math.min(piece.length - off, rec.length - fill);
        rec.set(piece.subarray(off, off + take), fill);
        fill += take;
        off += take;
      }
    }
    if (!s || fill < TAG_LENGTH) throw authFail('truncated', what);
    yield s.open(rec.subarray(0, fill), true);
  }

  const cipher: Cipher = {
    algorithm,
    backend: resolvedBackend,
    encrypt,
    decrypt,
    async encryptString(text, o) {
      if (typeof text !== 'string')
        throw invalidArgument(TypeError, `encryptString: text must be a string, got ${describe(text)}`);
      return toBase64url(await encrypt(utf8(text), o));
    },
    async decryptString(s, o) {
      const plain = await decrypt(fromText('decryptString', s), o);
      try {
        return fromUtf8(plain);
      } catch {
        throw authFail('format', 'decryptString');
      }
    },
    async encryptJson(value, o) {
      const text = JSON.stringify(value);
      if (text === undefined) throw invalidArgument(TypeError, 'encryptJson: value is not JSON-serialisable');
      return toBase64url(await encrypt(utf8(text), o));
    },
    async decryptJson<T>(s: string, o?: AadOptions): Promise<T> {
      const text = await cipher.decryptString(s, o);
      try {
        return JSON.parse(text) as T;
      } catch {
        throw authFail('format', 'decryptJson');
      }
    },
    needsRewrap(envelope) {
      const h = headerOf(envelope);
      return h.algorithm !== algorithm || h.keyId !== opts.keyring.primaryId;
    },
    async rewrap<T extends Uint8Array | string>(
      envelope: T,
      o?: AadOptions,
    ): Promise<T extends string ? string : Uint8Array> {
      const bytes = typeof envelope === 'string' ? fromText('rewrap', envelope) : (envelope as Uint8Array);
      if (!isBytes(bytes))
        throw invalidArgument(TypeError, `rewrap: envelope must be a Uint8Array or string, got ${describe(envelope)}`);
      // Authenticate first, even when no re-encryption is needed: never hand back a forged envelope as "rewrapped".
      const plain = await decrypt(bytes, o);
      let out: Uint8Array | string = envelope;
      if (cipher.needsRewrap(bytes)) {
        const sealed = await encrypt(plain, o);
        out = typeof envelope === 'string' ? toBase64url(sealed) : sealed;
      }
      plain.fill(0);
      return out as T extends string ? string : Uint8Array;
    },
    encryptStream,
    decryptStream,
  };
  Object.defineProperty(cipher, CIPHER_INTERNAL, { value: { sealer, opener } satisfies CipherInternal });
  return cipher;
}

/**
 * @internal The raw per-record parameters of one stream, for callers that run the AEAD themselves (secureStorage's
 * low-memory mode). `next` advances to the next record (sharing the record index with `seal`/`open`, so the two must
 * not be mixed within one stream) and writes that record's nonce and chunk AAD into `nonce` and `aad` in place.
 */
export interface StreamRecordParams {
  /** The stream's algorithm. */
  readonly algorithm: Algorithm;
  /** The stream's derived working key (HKDF of the stored key and the stream salt). */
  readonly key: Uint8Array;
  /** The current record's nonce, rewritten in place by `next`. */
  readonly nonce: Uint8Array;
  /** The current record's AAD (header | u64be index | last flag | caller AAD), rewritten in place by `next`. */
  readonly aad: Uint8Array;
}

/** @internal Seals one stream chunk by chunk (see the stream format in the README). */
export interface StreamSealer {
  /** Stream header, written once before the records. */
  readonly header: Uint8Array;
  /** Plaintext bytes per chunk; every chunk but the last is exactly this long. */
  readonly chunkSize: number;
  /** Raw record parameters; `next(last)` prepares the next record (throws RangeError after 2^32 records). */
  readonly records: StreamRecordParams & { next(last: boolean): void };
  /** Seals the next chunk into one fresh record `ciphertext || tag`. */
  seal(data: Uint8Array, last: boolean): Uint8Array;
  /** Seals the next chunk; returns ciphertext and tag separately (for `writev`, no record buffer). */
  sealParts(data: Uint8Array, last: boolean): [Uint8Array, Uint8Array];
}

/** @internal Opens one stream record by record, in order. */
export interface StreamOpener {
  /** Byte length of the stream header. */
  readonly headerLength: number;
  /** Byte length of every record but the last (chunk size + tag). */
  readonly recordLength: number;
  /**
   * Raw record parameters; `next(recordLength, last)` checks the record length and prepares the next record (throws
   * {@link AuthenticationError} like `open`); `fail` maps an AEAD error to the error `open` would have thrown.
   */
  readonly records: StreamRecordParams & { next(recordLength: number, last: boolean): void; fail(e: unknown): unknown };
  /**
   * Authenticates and decrypts the next record; `last` must say whether the stream ends after it. Returns a fresh
   * array the caller owns. @throws {AuthenticationError}
   */
  open(record: Uint8Array, last: boolean): Uint8Array;
}

/** @internal What secureStorage needs from a cipher besides its public API. */
export interface CipherInternal {
  sealer(aad: Uint8Array | undefined): Promise<StreamSealer>;
  opener(head: Uint8Array, aad: Uint8Array | undefined, what: string): Promise<StreamOpener | number>;
}

/** @internal Reached through Symbol.for so it works across ESM/CJS copies of the package. */
export const CIPHER_INTERNAL: unique symbol = Symbol.for('@org/crypto.cipher.internal') as never;

/** @internal The internal face of a cipher from `createCipher()`, or a TypeError naming `fn`. */
export function cipherInternal(fn: string, c: unknown): CipherInternal {
  const i = (c as { [CIPHER_INTERNAL]?: CipherInternal } | null)?.[CIPHER_INTERNAL];
  if (!i) throw invalidOption(TypeError, `${fn}: cipher must come from createCipher()`);
  return i;
}

/**
 * Reads an envelope's (or stream's) header without a key: kind, version, algorithm, key id. Use it to find data still
 * under an old key. Accepts bytes or base64url text.
 * @throws {AuthenticationError} (reason `format`) when the header is malformed.
 */
export function inspectEnvelope(envelope: Uint8Array | string): EnvelopeInfo {
  const b = typeof envelope === 'string' ? envelopeFromText('inspectEnvelope', envelope) : envelope;
  if (!isBytes(b)) throw authFail('format', 'inspectEnvelope');
  const version = b[0] === STREAM_VERSION ? STREAM_VERSION : ENVELOPE_VERSION;
  const h = readHeader(b, version, version === STREAM_VERSION ? 'stream' : 'envelope');
  return { kind: version === STREAM_VERSION ? 'stream' : 'envelope', version, algorithm: h.algorithm, keyId: h.keyId };
}
