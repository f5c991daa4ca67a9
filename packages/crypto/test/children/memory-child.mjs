// Streams a generated file of SIZE_MIB through secureStorage (put, then getStream) and reports peak RSS.
// Run with `node --expose-gc [--import tsx] memory-child.mjs <dir> <sizeMiB> <mainEntry> <nodeEntry> [lowMemory]` — the
// entries are the src/*.ts files under tsx (tests) or the built dist/*.js files (bench/rss-1gib.ts); a fifth argument
// `lowMemory` runs secureStorage with `lowMemory: true`.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [dir, sizeArg, mainEntry, nodeEntry, mode] = process.argv.slice(2);
const { createCipher, createKeyring, memoryKeyStore } = await import(pathToFileURL(mainEntry).href);
const { secureStorage } = await import(pathToFileURL(nodeEntry).href);

const PIECE = 65536;
const total = Number(sizeArg) * 1024 * 1024;
const keyring = await createKeyring({ store: memoryKeyStore() });
const storage = secureStorage({ dir, cipher: createCipher({ keyring }), lowMemory: mode === 'lowMemory' });

let peak = 0;
const sample = () => {
  const r = process.memoryUsage.rss();
  if (r > peak) peak = r;
};

// Deterministic content, generated piece by piece into one reused buffer (the source itself holds no file copy).
const piece = new Uint8Array(PIECE);
const words = new Uint32Array(piece.buffer);
async function* source(hash) {
  for (let off = 0, i = 0; off < total; off += PIECE, i++) {
    const n = Math.min(PIECE, total - off);
    for (let j = 0; j < words.length; j++) words[j] = (i * 2654435761 + j) >>> 0;
    const view = piece.subarray(0, n);
    hash.update(view);
    if (i % 16 === 0) sample();
    yield view;
  }
}

// Warm up (JIT, file handles, module caches), then take the baseline.
const warm = await storage.put('warm', new Uint8Array(4 * PIECE));
await storage.get(warm);
globalThis.gc?.();
const baseline = process.memoryUsage.rss();
peak = baseline;

const started = performance.now();
const inHash = createHash('sha256');
const id = await storage.put('big', source(inHash));
const putMs = performance.now() - started;
const peakPut = peak;

const outHash = createHash('sha256');
const t1 = performance.now();
const { stream, size } = await storage.getStream(id);
let i = 0;
let read = 0;
for await (const chunk of stream) {
  outHash.update(chunk);
  read += chunk.length;
  if (i++ % 16 === 0) sample();
}
const getMs = performance.now() - t1;
const mem = process.memoryUsage();

process.stdout.write(
  `${JSON.stringify({
    sizeBytes: total,
    size,
    read,
    same: inHash.digest('hex') === outHash.digest('hex'),
    baseline,
    peakPut,
    peak,
    maxRSS: process.resourceUsage().maxRSS * 1024,
    putMs,
    getMs,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
  })}\n`,
);
