import { type AeadInternal, type Algorithm, type Backend, type BackendOption, makeAead } from './aead.js';
import { AuthenticationError, CryptoError, isAuthenticationError } from './errors.js';
import {
  concat,
  describe,
  fromBase64url,
  fromUtf8,
  isBytes,
  randomBytes,
  toBase64url,
  utf8,
} from './internal/bytes.js';
import {
  ALGORITHMS,
  deriveKey,
  ENVELOPE_VERSION,
  NONCE_LENGTH,
  readHeader,
  STREAM_VERSION,
  TAG_LENGTH,
  writeHeader,
} from './internal/format.js';
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
  /** Decrypts a base64url envelope made by `encryptString`. */
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
   * with constant memory. Output: header, then one record per chunk.
   */
  encryptStream(source: ByteSource, opts?: AadOptions): AsyncIterable<Uint8Array>;
  /**
   * Decrypts a stream from `encryptStream`, yielding each chunk once it authenticates. Truncation, reordering, chunk
   * swapping between streams and trailing data all throw {@link AuthenticationError} — at the latest at the end, so
   * treat the output as untrusted until the iteration completes.
   */
  decryptStream(source: ByteSource, opts?: AadOptions): AsyncIterable<Uint8Array>;
}

const toAad = (fn: string, aad: unknown): Uint8Array | undefined => {
  if (aad === undefined) return undefined;
  if (typeof aad === 'string') return utf8(aad);
  if (isBytes(aad)) return aad;
  throw new TypeError(`${fn}: aad must be a Uint8Array or a string, got ${describe(aad)}`);
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

function writeU64(b: Uint8Array, o: number, n: number): void {
  const hi = Math.floor(n / 2 ** 32);
  b[o] = hi >>> 24;
  b[o + 1] = (hi >>> 16) & 255;
  b[o + 2] = (hi >>> 8) & 255;
  b[o + 3] = hi & 255;
  b[o + 4] = n >>> 24;
  b[o + 5] = (n >>> 16) & 255;
  b[o + 6] = (n >>> 8) & 255;
  b[o + 7] = n & 255;
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
    throw new TypeError(`createCipher: algorithm must be one of ${ALGORITHMS.join(', ')}, got ${String(algorithm)}`);
  const backend = opts.backend ?? CIPHER_DEFAULTS.backend;
  if (backend !== 'auto' && backend !== 'native' && backend !== 'noble')
    throw new TypeError(`createCipher: backend must be 'auto', 'native' or 'noble', got ${String(backend)}`);
  const chunkSize = opts.chunkSize ?? CIPHER_DEFAULTS.chunkSize;
  if (!Number.isInteger(chunkSize) || chunkSize < 1024 || chunkSize > 4194304)
    throw new RangeError(`createCipher: chunkSize must be an integer from 1024 to 4194304, got ${String(chunkSize)}`);
  // Fail at construction, not at first use, when the native backend is forced but missing.
  const resolvedBackend = makeAead('createCipher', 'aes-256-gcm', new Uint8Array(32), backend).backend;

  // Working (derived) keys per key id and algorithm; the stored key is never used directly.
  const caches = new Map<Algorithm, Map<string, { master: Uint8Array; aead: AeadInternal }>>(
    ALGORITHMS.map((a) => [a, new Map()]),
  );
  const working = (k: KeyRecord, alg: Algorithm): AeadInternal => {
    const cache = caches.get(alg)!;
    const hit = cache.get(k.id);
    if (hit !== undefined && hit.master === k.key) return hit.aead;
    const aead = makeAead('cipher', alg, deriveKey(k.key, `envelope/${alg}`), backend);
    cache.set(k.id, { master: k.key, aead });
    return aead;
  };

  const checkUsable = (k: KeyRecord | undefined, keyId: string, what: string): KeyRecord => {
    if (!k) throw authFail('unknown-key', what);
    if (k.state === 'disabled') throw new CryptoError('ERR_KEY_DISABLED', `${what}: key ${keyId} is disabled`);
    return k;
  };
  const usable = async (keyId: string, what: string): Promise<KeyRecord> =>
    checkUsable(await ki.find(keyId), keyId, what);

  const seal = (k: KeyRecord, plaintext: Uint8Array, aad: Uint8Array | undefined): Uint8Array => {
    const aead = working(k, algorithm);
    const n = NONCE_LENGTH[algorithm];
    const hl = 3 + k.id.length;
    const out = allocUninitialized(hl + n + plaintext.length + TAG_LENGTH);
    writeHeader(out, ENVELOPE_VERSION, algorithm, k.id);
    const nonce = out.subarray(hl, hl + n);
    globalThis.crypto.getRandomValues(nonce);
    const header = out.subarray(0, hl);
    aead.sealInto(nonce, plaintext, aad ? concat(header, aad) : header, out, hl + n);
    return out;
  };

  // Not `async`: the common path (key known, no rotation due) settles with one promise and no extra ticks.
  const encrypt = (plaintext: Uint8Array, o?: AadOptions): Promise<Uint8Array> => {
    try {
      if (!isBytes(plaintext))
        throw new TypeError(`encrypt: plaintext must be a Uint8Array, got ${describe(plaintext)}`);
      const aad = toAad('encrypt', o?.aad);
      const k = ki.acquire();
      if (k instanceof Promise) return k.then((key) => seal(key, plaintext, aad));
      return Promise.resolve(seal(k, plaintext, aad));
    } catch (e) {
      return Promise.reject(e);
    }
  };

  const decrypt = (envelope: Uint8Array, o?: AadOptions): Promise<Uint8Array> => {
    try {
      if (!isBytes(envelope)) throw new TypeError(`decrypt: envelope must be a Uint8Array, got ${describe(envelope)}`);
      const aad = toAad('decrypt', o?.aad);
      const h = readHeader(envelope, ENVELOPE_VERSION, 'envelope');
      const n = NONCE_LENGTH[h.algorithm];
      if (envelope.length < h.length + n + TAG_LENGTH) throw authFail('format', 'decrypt');
      const open = (found: KeyRecord | undefined): Uint8Array => {
        const k = checkUsable(found, h.keyId, 'decrypt');
        const header = envelope.subarray(0, h.length);
        try {
          return working(k, h.algorithm).decrypt(
            envelope.subarray(h.length, h.length + n),
            envelope.subarray(h.length + n),
            aad ? concat(header, aad) : header,
          );
        } catch (e) {
          throw isAuthenticationError(e) ? authFail('tag', 'decrypt') : e;
        }
      };
      const k = ki.find(h.keyId);
      return k instanceof Promise ? k.then(open) : Promise.resolve(open(k));
    } catch (e) {
      return Promise.reject(e);
    }
  };

  const fromText = (fn: string, s: unknown): Uint8Array => {
    if (typeof s !== 'string') throw new TypeError(`${fn}: envelope must be a base64url string, got ${describe(s)}`);
    const b = fromBase64url(s);
    if (!b) throw authFail('format', fn);
    return b;
  };

  const headerOf = (envelope: Uint8Array | string) =>
    readHeader(
      typeof envelope === 'string' ? fromText('needsRewrap', envelope) : envelope,
      ENVELOPE_VERSION,
      'envelope',
    );

  async function* encryptStream(source: ByteSource, o?: AadOptions): AsyncGenerator<Uint8Array> {
    const aad = toAad('encryptStream', o?.aad) ?? new Uint8Array(0);
    let k = ki.acquire();
    if (k instanceof Promise) k = await k;
    const header = new Uint8Array(3 + k.id.length + STREAM_SALT + 4);
    let o2 = writeHeader(header, STREAM_VERSION, algorithm, k.id);
    const salt = randomBytes(STREAM_SALT);
    header.set(salt, o2);
    o2 += STREAM_SALT;
    new DataView(header.buffer).setUint32(o2, chunkSize);
    const aead = makeAead('encryptStream', algorithm, deriveKey(k.key, `stream/${algorithm}`, salt), backend);
    yield header.slice();
    const chunkAad = new Uint8Array(header.length + 9 + aad.length);
    chunkAad.set(header);
    chunkAad.set(aad, header.length + 9);
    const nonce = new Uint8Array(aead.nonceLength);
    let index = 0;
    const seal = (data: Uint8Array, last: boolean): Uint8Array => {
      if (index >= MAX_CHUNKS) throw new RangeError('encryptStream: too many chunks (2^32)');
      writeU64(nonce, nonce.length - 8, index);
      writeU64(chunkAad, header.length, index);
      chunkAad[header.length + 8] = last ? 1 : 0;
      index++;
      return aead.encrypt(nonce, data, chunkAad);
    };
    const buf = new Uint8Array(chunkSize);
    let fill = 0;
    for await (const piece of source) {
      if (!isBytes(piece)) throw new TypeError(`encryptStream: source yielded ${describe(piece)}, expected Uint8Array`);
      let off = 0;
      while (off < piece.length) {
        if (fill === chunkSize) {
          yield seal(buf, false);
          fill = 0;
        }
        const take = Math.min(piece.length - off, chunkSize - fill);
        buf.set(piece.subarray(off, off + take), fill);
        fill += take;
        off += take;
      }
    }
    yield seal(buf.subarray(0, fill), true);
  }

  async function* decryptStream(source: ByteSource, o?: AadOptions): AsyncGenerator<Uint8Array> {
    const aad = toAad('decryptStream', o?.aad) ?? new Uint8Array(0);
    const what = 'decryptStream';
    let head: Uint8Array = new Uint8Array(0);
    let headerLen = 0;
    let aead: AeadInternal | null = null;
    let chunkAad: Uint8Array = new Uint8Array(0);
    let rec: Uint8Array = new Uint8Array(0);
    let fill = 0;
    let index = 0;
    let nonce: Uint8Array = new Uint8Array(0);
    const open = (data: Uint8Array, last: boolean): Uint8Array => {
      if (index >= MAX_CHUNKS) throw authFail('format', what);
      writeU64(nonce, nonce.length - 8, index);
      writeU64(chunkAad, headerLen, index);
      chunkAad[headerLen + 8] = last ? 1 : 0;
      index++;
      try {
        return aead!.decrypt(nonce, data, chunkAad);
      } catch (e) {
        throw isAuthenticationError(e) ? authFail('tag', what) : e;
      }
    };
    for await (const piece of source) {
      if (!isBytes(piece)) throw new TypeError(`${what}: source yielded ${describe(piece)}, expected Uint8Array`);
      let off = 0;
      if (!aead) {
        // Accumulate the variable-length header: version | alg | L | keyId | salt(16) | chunkSize(u32be).
        head = concat(head, piece);
        if (head.length < 3 || head.length < 3 + head[2]!) continue;
        const h = readHeader(head, STREAM_VERSION, 'stream');
        headerLen = h.length + STREAM_SALT + 4;
        if (head.length < headerLen) continue;
        const cs = new DataView(head.buffer, head.byteOffset).getUint32(h.length + STREAM_SALT);
        if (cs < 1024 || cs > 4194304) throw authFail('format', what);
        const k = await usable(h.keyId, what);
        const salt = head.subarray(h.length, h.length + STREAM_SALT);
        aead = makeAead(what, h.algorithm, deriveKey(k.key, `stream/${h.algorithm}`, salt), backend);
        nonce = new Uint8Array(aead.nonceLength);
        chunkAad = new Uint8Array(headerLen + 9 + aad.length);
        chunkAad.set(head.subarray(0, headerLen));
        chunkAad.set(aad, headerLen + 9);
        rec = new Uint8Array(cs + TAG_LENGTH);
        off = piece.length - (head.length - headerLen);
        head = new Uint8Array(0);
      }
      while (off < piece.length) {
        if (fill === rec.length) {
          yield open(rec, false);
          fill = 0;
        }
        const take = Math.min(piece.length - off, rec.length - fill);
        rec.set(piece.subarray(off, off + take), fill);
        fill += take;
        off += take;
      }
    }
    if (!aead || fill < TAG_LENGTH) throw authFail('truncated', what);
    yield open(rec.subarray(0, fill), true);
  }

  const cipher: Cipher = {
    algorithm,
    backend: resolvedBackend,
    encrypt,
    decrypt,
    async encryptString(text, o) {
      if (typeof text !== 'string') throw new TypeError(`encryptString: text must be a string, got ${describe(text)}`);
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
      if (text === undefined) throw new TypeError('encryptJson: value is not JSON-serialisable');
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
        throw new TypeError(`rewrap: envelope must be a Uint8Array or string, got ${describe(envelope)}`);
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
  return cipher;
}

/**
 * Reads an envelope's (or stream's) header without a key: kind, version, algorithm, key id. Use it to find data still
 * under an old key. Accepts bytes or base64url text.
 * @throws {AuthenticationError} (reason `format`) when the header is malformed.
 */
export function inspectEnvelope(envelope: Uint8Array | string): EnvelopeInfo {
  const b = typeof envelope === 'string' ? fromBase64url(envelope) : envelope;
  if (!b || !isBytes(b)) throw authFail('format', 'inspectEnvelope');
  const version = b[0] === STREAM_VERSION ? STREAM_VERSION : ENVELOPE_VERSION;
  const h = readHeader(b, version, version === STREAM_VERSION ? 'stream' : 'envelope');
  return { kind: version === STREAM_VERSION ? 'stream' : 'envelope', version, algorithm: h.algorithm, keyId: h.keyId };
}
