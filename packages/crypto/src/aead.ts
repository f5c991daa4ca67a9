import { gcm, gcmsiv } from '@noble/ciphers/aes.js';
import { xchacha20poly1305 as nobleXChaCha } from '@noble/ciphers/chacha.js';
import { AuthenticationError, invalidArgument, invalidOption } from './errors.js';
import { concat, describe, isBytes, view } from './internal/bytes.js';
import { nodeCrypto } from './internal/native.js';

/** Algorithms supported by the envelope and the low-level AEADs. */
export type Algorithm = 'aes-256-gcm' | 'xchacha20-poly1305' | 'aes-256-gcm-siv';

/** Which implementation runs AES-256-GCM: the runtime's native one (node:crypto) or @noble/ciphers. */
export type Backend = 'native' | 'noble';

/** Backend choice: `'auto'` picks native where present, else noble. */
export type BackendOption = Backend | 'auto';

/** Options of the low-level AEAD factories. */
export interface AeadOptions {
  /** Implementation to use (only AES-256-GCM has a native one). Default `'auto'`. */
  backend?: BackendOption;
}

/** A keyed AEAD. Output of `encrypt` is `ciphertext || tag` (16-byte tag). */
export interface Aead {
  /** Algorithm name. */
  readonly algorithm: Algorithm;
  /** Implementation in use. */
  readonly backend: Backend;
  /** Required nonce length in bytes (12, or 24 for XChaCha20-Poly1305). */
  readonly nonceLength: number;
  /** Tag length in bytes (always 16). */
  readonly tagLength: 16;
  /** Encrypts; returns `ciphertext || tag`. */
  encrypt(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  /**
   * Decrypts `ciphertext || tag`.
   * @throws {AuthenticationError} when the tag does not verify (wrong key, nonce, AAD or any modified byte).
   */
  decrypt(nonce: Uint8Array, ciphertextAndTag: Uint8Array, aad?: Uint8Array): Uint8Array;
}

/**
 * Internal extension used by the envelope and stream code, which validate their inputs once themselves: the methods
 * below skip argument checks.
 */
export interface AeadInternal extends Aead {
  /** Writes `ciphertext || tag` into `out` at `offset`, avoiding one copy on the hot path. */
  sealInto(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array | undefined,
    out: Uint8Array,
    offset: number,
  ): void;
  /**
   * Returns ciphertext and tag as two arrays, for writers that pass both to one `writev` (no record buffer, no copy).
   * The ciphertext is a fresh array the caller owns.
   */
  sealParts(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined): [Uint8Array, Uint8Array];
  /**
   * `decrypt` of the `ciphertext || tag` stored at `buf[start, end)`, without argument checks and without building
   * views of the input where the backend does not need them. Returns a fresh array the caller owns.
   * @throws {AuthenticationError}
   */
  openAt(nonce: Uint8Array, buf: Uint8Array, start: number, end: number, aad: Uint8Array | undefined): Uint8Array;
}

/** True when the runtime offers a native AES-256-GCM (node:crypto found via `process.getBuiltinModule`). */
export function hasNativeAesGcm(): boolean {
  return nodeCrypto() !== null;
}

function checkKey(fn: string, key: unknown): asserts key is Uint8Array {
  if (!isBytes(key)) throw invalidArgument(TypeError, `${fn}: key must be a Uint8Array, got ${describe(key)}`);
  if (key.length !== 32) throw invalidArgument(RangeError, `${fn}: key must be 32 bytes, got ${key.length} bytes`);
}

function checkArgs(fn: string, nonceLength: number, nonce: unknown, data: unknown, aad: unknown, what: string): void {
  if (!isBytes(nonce)) throw invalidArgument(TypeError, `${fn}: nonce must be a Uint8Array, got ${describe(nonce)}`);
  if (nonce.length !== nonceLength)
    throw invalidArgument(RangeError, `${fn}: nonce must be ${nonceLength} bytes, got ${nonce.length} bytes`);
  if (!isBytes(data)) throw invalidArgument(TypeError, `${fn}: ${what} must be a Uint8Array, got ${describe(data)}`);
  if (aad !== undefined && !isBytes(aad))
    throw invalidArgument(TypeError, `${fn}: aad must be a Uint8Array, got ${describe(aad)}`);
}

function checkBackend(fn: string, backend: unknown): BackendOption {
  if (backend === undefined) return 'auto';
  if (backend !== 'auto' && backend !== 'native' && backend !== 'noble')
    throw invalidOption(TypeError, `${fn}: backend must be 'auto', 'native' or 'noble', got ${String(backend)}`);
  return backend;
}

const authFailed = (fn: string): AuthenticationError =>
  new AuthenticationError('tag', `${fn}: authentication failed (wrong key, nonce, AAD or modified ciphertext)`);

/** Returns a plain Uint8Array over a Buffer's bytes, copying when the Buffer lives in a shared pool. */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength
    ? new Uint8Array(b.buffer, 0, b.byteLength)
    : Uint8Array.prototype.slice.call(b);
}

type NobleCons = (
  key: Uint8Array,
  nonce: Uint8Array,
  aad?: Uint8Array,
) => {
  encrypt(p: Uint8Array): Uint8Array;
  decrypt(c: Uint8Array): Uint8Array;
};

function nobleAead(
  fn: string,
  algorithm: Algorithm,
  cons: NobleCons,
  key: Uint8Array,
  nonceLength: number,
): AeadInternal {
  const k = key.slice();
  const seal = (nonce: Uint8Array, pt: Uint8Array, aad?: Uint8Array): Uint8Array =>
    cons(k, nonce, aad && aad.length > 0 ? aad : undefined).encrypt(pt);
  const openAt = (
    nonce: Uint8Array,
    buf: Uint8Array,
    start: number,
    end: number,
    aad: Uint8Array | undefined,
  ): Uint8Array => {
    if (end - start < 16) throw authFailed(fn);
    try {
      return cons(k, nonce, aad && aad.length > 0 ? aad : undefined).decrypt(view(buf, start, end));
    } catch {
      throw authFailed(fn);
    }
  };
  return {
    algorithm,
    backend: 'noble',
    nonceLength,
    tagLength: 16,
    encrypt(nonce, pt, aad) {
      checkArgs(fn, nonceLength, nonce, pt, aad, 'plaintext');
      return seal(nonce, pt, aad);
    },
    sealInto(nonce, pt, aad, out, offset) {
      out.set(seal(nonce, pt, aad), offset);
    },
    sealParts(nonce, pt, aad) {
      const out = seal(nonce, pt, aad);
      return [out.subarray(0, pt.length), out.subarray(pt.length)];
    },
    openAt,
    decrypt(nonce, ct, aad) {
      checkArgs(fn, nonceLength, nonce, ct, aad, 'ciphertext');
      return openAt(nonce, ct, 0, ct.length, aad);
    },
  };
}

/** Options of every native AES-GCM cipher object: one shared object instead of one per call. */
const GCM_OPTIONS = Object.freeze({ authTagLength: 16 });
/** Tag scratch for native decryption (public bytes; only used synchronously between two statements). */
const TAG_SCRATCH = new Uint8Array(16);

function nativeAesGcm(fn: string, key: Uint8Array): AeadInternal | null {
  const nc = nodeCrypto();
  if (!nc) return null;
  const keyObject = nc.createSecretKey(key);
  // Returns the cipher after `update`: `body` is the ciphertext (GCM emits everything in `update`, `final` only adds
  // the tag), a Buffer over its own ArrayBuffer (never pooled).
  const sealBody = (nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array | undefined) => {
    const c = nc.createCipheriv('aes-256-gcm', keyObject, nonce, GCM_OPTIONS);
    if (aad && aad.length > 0) c.setAAD(aad);
    const body = c.update(pt);
    const tail = c.final();
    return { c, body, tail };
  };
  const sealInto = (
    nonce: Uint8Array,
    pt: Uint8Array,
    aad: Uint8Array | undefined,
    out: Uint8Array,
    offset: number,
  ) => {
    const { c, body, tail } = sealBody(nonce, pt, aad);
    out.set(body, offset);
    if (tail.length > 0) out.set(tail, offset + body.length);
    out.set(c.getAuthTag(), offset + body.length + tail.length);
  };
  const openAt = (
    nonce: Uint8Array,
    buf: Uint8Array,
    start: number,
    end: number,
    aad: Uint8Array | undefined,
  ): Uint8Array => {
    const n = end - start - 16;
    if (n < 0) throw authFailed(fn);
    const d = nc.createDecipheriv('aes-256-gcm', keyObject, nonce, GCM_OPTIONS);
    // setAuthTag copies the tag at once, so a shared scratch array saves building a view.
    for (let i = 0, o = start + n; i < 16; i++) TAG_SCRATCH[i] = buf[o + i]!;
    d.setAuthTag(TAG_SCRATCH);
    if (aad && aad.length > 0) d.setAAD(aad);
    let body: Uint8Array;
    try {
      body = d.update(view(buf, start, start + n));
      const tail = d.final(); // verifies the tag; GCM never returns bytes here
      if (tail.length > 0) body = concat(body, tail);
    } catch {
      throw authFailed(fn);
    }
    return own(body);
  };
  return {
    algorithm: 'aes-256-gcm',
    backend: 'native',
    nonceLength: 12,
    tagLength: 16,
    sealInto,
    sealParts(nonce, pt, aad) {
      const { c, body, tail } = sealBody(nonce, pt, aad);
      return [tail.length > 0 ? concat(body, tail) : own(body), own(c.getAuthTag())];
    },
    encrypt(nonce, pt, aad) {
      checkArgs(fn, 12, nonce, pt, aad, 'plaintext');
      const out = new Uint8Array(pt.length + 16);
      sealInto(nonce, pt, aad, out, 0);
      return out;
    },
    openAt,
    decrypt(nonce, ct, aad) {
      checkArgs(fn, 12, nonce, ct, aad, 'ciphertext');
      return openAt(nonce, ct, 0, ct.length, aad);
    },
  };
}

/** @internal Factory used by the envelope code: same as {@link aes256gcm} but returns the internal interface. */
export function makeAead(fn: string, algorithm: Algorithm, key: Uint8Array, backend: BackendOption): AeadInternal {
  checkKey(fn, key);
  if (algorithm === 'aes-256-gcm') {
    if (backend !== 'noble') {
      const native = nativeAesGcm(fn, key);
      if (native) return native;
      if (backend === 'native')
        throw invalidOption(TypeError, `${fn}: backend 'native' is not available in this runtime`);
    }
    return nobleAead(fn, algorithm, gcm as NobleCons, key, 12);
  }
  if (algorithm === 'xchacha20-poly1305') return nobleAead(fn, algorithm, nobleXChaCha as NobleCons, key, 24);
  return nobleAead(fn, algorithm, gcmsiv as NobleCons, key, 12);
}

/**
 * AES-256-GCM with a 32-byte key, 12-byte nonces only (any other nonce length is rejected) and 16-byte tags.
 * `backend: 'auto'` (default) uses the runtime's native AES-GCM (node:crypto, found at run time) where present and
 * @noble/ciphers elsewhere; both produce identical bytes.
 * @throws {TypeError|RangeError} on a key that is not 32 bytes or an unknown/unavailable backend.
 */
export function aes256gcm(key: Uint8Array, opts: AeadOptions = {}): Aead {
  return makeAead('aes256gcm', 'aes-256-gcm', key, checkBackend('aes256gcm', opts.backend));
}

/** XChaCha20-Poly1305 (@noble/ciphers): 32-byte key, 24-byte nonces (safe to pick at random), 16-byte tags. */
export function xchacha20poly1305(key: Uint8Array): Aead {
  return makeAead('xchacha20poly1305', 'xchacha20-poly1305', key, 'noble');
}

/** AES-256-GCM-SIV (RFC 8452, @noble/ciphers): 32-byte key, 12-byte nonces, nonce-misuse resistant, 16-byte tags. */
export function aes256gcmsiv(key: Uint8Array): Aead {
  return makeAead('aes256gcmsiv', 'aes-256-gcm-siv', key, 'noble');
}
