// Request ids (UUIDv4) and CSP nonces, from the runtime's Web Crypto.

/** Incoming request ids are accepted only when they match this: 1-128 visible, header-safe characters. */
export const REQUEST_ID_PATTERN: RegExp = /^[A-Za-z0-9._:@+/=-]{1,128}$/;

/** Returns the incoming id when it is valid, else a fresh one from `generate`. */
export function resolveRequestId(incoming: unknown, generate: () => string): string {
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : generate();
}

// One `getRandomValues` call costs about as much whatever its size up to its 64 KiB maximum, so random bytes are drawn
// 64 KiB at a time and each byte is handed out once (see BENCHMARKS.md of the adapters).
const randomPool = new Uint8Array(65536);
let randomAt = randomPool.length;

/** Offset in `randomPool` of `n` (at most 65536) fresh random bytes. */
function takeRandom(n: number): number {
  if (randomAt + n > randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    randomAt = 0;
  }
  const o = randomAt;
  randomAt += n;
  return o;
}

/** Ids made per text refill: one hex pass and one decode per batch. */
const ID_BATCH = 256;
/** The ASCII text of one batch: 36 bytes per id, the dashes written once here. */
const idAscii = new Uint8Array(ID_BATCH * 36).fill(45);
/** The batch's text, one flat string; each id is a 36-char slice of it. */
let idText = '';
let idAt = ID_BATCH;
/** Each byte's high and low lower-case hex digit, as char codes. */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let x = 0; x < 256; x++) {
  HEX_HI[x] = '0123456789abcdef'.charCodeAt(x >> 4);
  HEX_LO[x] = '0123456789abcdef'.charCodeAt(x & 15);
}
const idDecoder = new TextDecoder();

/** Makes the next ID_BATCH ids' text: version and variant bits set, hex in 8-4-4-4-12 groups (one loop per group). */
function refillIds(): void {
  const r = randomPool;
  const a = idAscii;
  const hi = HEX_HI;
  const lo = HEX_LO;
  let o = takeRandom(ID_BATCH * 16);
  let p = 0;
  for (let k = 0; k < ID_BATCH; k++) {
    r[o + 6] = (r[o + 6]! & 0x0f) | 0x40; // version 4
    r[o + 8] = (r[o + 8]! & 0x3f) | 0x80; // variant 10
    for (let e = o + 4; o < e; o++, p += 2) {
      a[p] = hi[r[o]!]!;
      a[p + 1] = lo[r[o]!]!;
    }
    p++;
    for (let g = 0; g < 3; g++, p++) {
      for (let e = o + 2; o < e; o++, p += 2) {
        a[p] = hi[r[o]!]!;
        a[p + 1] = lo[r[o]!]!;
      }
    }
    for (let e = o + 6; o < e; o++, p += 2) {
      a[p] = hi[r[o]!]!;
      a[p + 1] = lo[r[o]!]!;
    }
  }
  idText = idDecoder.decode(a);
  idAt = 0;
}

/** A random UUIDv4 (RFC 9562, 122 random bits): a 36-char slice of a batch made 256 ids at a time. */
export function randomId(): string {
  if (idAt === ID_BATCH) refillIds();
  const p = idAt++ * 36;
  return idText.slice(p, p + 36);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 128 random bits (16 bytes of the shared pool) in base64, as CSP `'nonce-…'` expects. */
export function randomNonce(): string {
  const b = randomPool;
  const o = takeRandom(16);
  let out = '';
  for (let i = o; i < o + 15; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const last = b[o + 15]!;
  return `${out}${B64[last >> 2]!}${B64[(last & 3) << 4]!}==`;
}
