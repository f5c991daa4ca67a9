// Reference for bench/rss-1gib.ts: the same round trip as test/children/memory-child.mjs (same generated content,
// 64 KiB chunks, one AES-256-GCM record per chunk, write to a file, read back, SHA-256 both ways) written directly
// against node:crypto and node:fs with no library at all: one reused source buffer, one reused read buffer, and the
// single allocation per chunk that node:crypto cannot avoid (the Buffer returned by `update`). Its peak RSS is the
// floor any implementation on this Node version can reach with native AES-GCM.
// Run: node --expose-gc rss-floor-child.mjs <dir> <sizeMiB>
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const [dir, sizeArg] = process.argv.slice(2);
const PIECE = 65536;
const REC = PIECE + 16;
const total = Number(sizeArg) * 1024 * 1024;
const key = randomBytes(32);
const path = join(dir, 'floor.bin');

let peak = 0;
const sample = () => {
  const r = process.memoryUsage.rss();
  if (r > peak) peak = r;
};
const piece = new Uint8Array(PIECE);
const words = new Uint32Array(piece.buffer);
const iv = new Uint8Array(12);
const setIv = (i) => {
  iv[8] = i >>> 24;
  iv[9] = (i >>> 16) & 255;
  iv[10] = (i >>> 8) & 255;
  iv[11] = i & 255;
};

async function put(size, hash) {
  const fh = await open(path, 'w', 0o600);
  for (let off = 0, i = 0, pos = 0; off < size; off += PIECE, i++) {
    const n = Math.min(PIECE, size - off);
    for (let j = 0; j < words.length; j++) words[j] = (i * 2654435761 + j) >>> 0;
    const view = piece.subarray(0, n);
    hash?.update(view);
    setIv(i);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const body = c.update(view);
    c.final();
    await fh.writev([body, c.getAuthTag()], pos);
    pos += n + 16;
    if (i % 16 === 0) sample();
  }
  await fh.sync();
  await fh.close();
}

async function get(size, hash) {
  const fh = await open(path, 'r');
  const rec = new Uint8Array(REC);
  for (let off = 0, i = 0, pos = 0; off < size; off += PIECE, i++) {
    const n = Math.min(PIECE, size - off);
    await fh.read(rec, 0, n + 16, pos);
    pos += n + 16;
    setIv(i);
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(rec.subarray(n, n + 16));
    const out = d.update(rec.subarray(0, n));
    d.final();
    hash?.update(out);
    if (i % 16 === 0) sample();
  }
  await fh.close();
}

await put(4 * PIECE); // warm-up, as in memory-child.mjs
await get(4 * PIECE);
globalThis.gc?.();
const baseline = process.memoryUsage.rss();
peak = baseline;
const inHash = createHash('sha256');
let t = performance.now();
await put(total, inHash);
const putMs = performance.now() - t;
const peakPut = peak;
const outHash = createHash('sha256');
t = performance.now();
await get(total, outHash);
const getMs = performance.now() - t;
await unlink(path);
process.stdout.write(
  `${JSON.stringify({
    same: inHash.digest('hex') === outHash.digest('hex'),
    baseline,
    peakPut,
    peak,
    maxRSS: process.resourceUsage().maxRSS * 1024,
    putMs,
    getMs,
  })}\n`,
);
