/**
 * Pooled CSPRNG output (runtime-agnostic: Web Crypto `getRandomValues`, no `node:` import).
 *
 * One `getRandomValues` call costs about 5 µs on Node 20 whatever its size up to 64 KiB — more than sealing a small
 * message. So small requests are served from a 64 KiB pool filled by one call when exhausted:
 * - every pool byte is handed out at most once, in order, to one caller: a request larger than what is left takes a
 *   fresh fill (the rest is discarded unused, overwritten by the fill);
 * - bytes are copied out (callers never get a view of the pool) and their pool region is zeroed at once, so the pool
 *   never holds bytes already handed out;
 * - requests of 64 KiB or more are filled directly, in 64 KiB calls (the Web Crypto per-call limit), as before.
 * The pool is per module instance (each worker thread has its own; Node never forks a running isolate). A V8 startup
 * snapshot is the one way to copy it into other processes, so it is emptied before a snapshot is written.
 */
import { invalidArgument } from '../errors.js';

const POOL_SIZE = 65536;
const pool = new Uint8Array(POOL_SIZE);
/** Next unused byte; `POOL_SIZE` = empty. `pool[0, pos)` is all zero. */
let pos = POOL_SIZE;
let snapshotChecked = false;

/** Empties the pool before a V8 startup snapshot is serialised (else every process started from it would share it). */
function guardSnapshot(): void {
  snapshotChecked = true;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const v8 = proc?.getBuiltinModule?.('node:v8') as
      | { startupSnapshot?: { isBuildingSnapshot?(): boolean | number; addSerializeCallback?(cb: () => void): void } }
      | undefined;
    const snap = v8?.startupSnapshot;
    // isBuildingSnapshot() returns a boolean on newer Node, 1 or 0 on Node 20.
    if (snap?.isBuildingSnapshot?.())
      snap.addSerializeCallback?.(() => {
        pool.fill(0);
        pos = POOL_SIZE;
      });
  } catch {
    // No node:v8 (edge runtimes, browsers): no startup snapshots either.
  }
}

function fillDirect(dst: Uint8Array, off: number, n: number): void {
  for (let o = 0; o < n; o += POOL_SIZE)
    globalThis.crypto.getRandomValues(new Uint8Array(dst.buffer, dst.byteOffset + off + o, Math.min(POOL_SIZE, n - o)));
}

/**
 * Writes `n` fresh CSPRNG bytes into `dst[off, off + n)`.
 * @throws {RangeError} when `off`/`n` are not non-negative integers or the range does not fit `dst`.
 */
export function randomInto(dst: Uint8Array, off: number, n: number): void {
  if (!Number.isInteger(off) || !Number.isInteger(n) || off < 0 || n < 0 || off + n > dst.length)
    throw invalidArgument(RangeError, `randomInto: range ${String(off)}+${String(n)} does not fit ${dst.length} bytes`);
  if (n >= POOL_SIZE) {
    fillDirect(dst, off, n);
    return;
  }
  if (n > POOL_SIZE - pos) {
    if (!snapshotChecked) guardSnapshot();
    pos = POOL_SIZE; // stays empty if the fill throws
    globalThis.crypto.getRandomValues(pool);
    pos = 0;
  }
  const p = pos;
  pos = p + n;
  if (n <= 32) {
    // Nonces and salts: a loop beats set/fill with their view allocations.
    for (let i = 0; i < n; i++) {
      dst[off + i] = pool[p + i]!;
      pool[p + i] = 0;
    }
  } else {
    dst.set(new Uint8Array(pool.buffer, p, n), off);
    pool.fill(0, p, p + n);
  }
}

/** `n` fresh CSPRNG bytes in a new array the caller owns (from the pool when `n` < 64 KiB). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  randomInto(out, 0, n);
  return out;
}
