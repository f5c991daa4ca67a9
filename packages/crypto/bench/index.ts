/**
 * Envelope encrypt/decrypt throughput vs raw node:crypto AES-256-GCM and vs raw @noble/ciphers, same process,
 * interleaved rounds (see @org/bench-kit). Sizes: 64 B, 1 KiB, 64 KiB, 1 MiB. Run: pnpm --filter @org/crypto bench
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { benchRun } from '@org/bench-kit';
import { createCipher, createKeyring, memoryKeyStore } from '../src/index.js';

// Every table that names `ours` goes to bench/results.json and BENCHMARKS.md's "Latest run" (bench.write() below).
const bench = benchRun('@org/crypto', import.meta.url);

const keyring = await createKeyring({ store: memoryKeyStore() });
const native = createCipher({ keyring, backend: 'native' });
const noble = createCipher({ keyring, backend: 'noble' });
const key = randomBytes(32);

const OURS = '@org/crypto envelope (native)';
const NODE = 'raw node:crypto';
const NODE_MIN = 'raw node:crypto, unframed';
const NOBLE = 'raw noble';
const OURS_NOBLE = '@org/crypto envelope (noble)';

const sizes: Array<[string, number]> = [
  ['64 B', 64],
  ['1 KiB', 1024],
  ['64 KiB', 65536],
  ['1 MiB', 1024 * 1024],
];

const summary: string[] = [];
const ratio = (rs: { name: string; nsPerOp: number }[], a: string, b: string) =>
  rs.find((r) => r.name === b)!.nsPerOp / rs.find((r) => r.name === a)!.nsPerOp;

for (const [label, size] of sizes) {
  const pt = randomBytes(size);
  // `raw node:crypto` is what a user writes to get one storable blob: random nonce, encrypt, nonce | ciphertext | tag.
  const rawNodeEnc = () => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    return Buffer.concat([iv, c.update(pt), c.final(), c.getAuthTag()]);
  };
  // The bare minimum (no single output buffer at all), shown for transparency.
  const rawNodeMin = () => {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
    c.update(pt);
    c.final();
    return c.getAuthTag();
  };
  const rawNobleEnc = () => gcm(key, randomBytes(12)).encrypt(pt);
  const slow = size >= 65536;
  const opts = slow ? { rounds: 9, roundMs: 120 } : { rounds: 7, roundMs: 100 };
  const enc = await bench.compare(
    `encrypt ${label}`,
    [
      { name: NODE, fn: rawNodeEnc },
      { name: NODE_MIN, fn: rawNodeMin },
      { name: OURS, fn: () => native.encrypt(pt) },
      { name: NOBLE, fn: rawNobleEnc },
      { name: OURS_NOBLE, fn: () => noble.encrypt(pt) },
    ],
    { ...opts, ours: OURS, rival: [NODE, NODE_MIN, NOBLE] },
  );

  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(pt), c.final()]);
  const tag = c.getAuthTag();
  const nobleCt = gcm(key, iv).encrypt(pt);
  const env = await native.encrypt(pt);
  const dec = await bench.compare(
    `decrypt ${label}`,
    [
      {
        name: NODE,
        fn: () => {
          const d = createDecipheriv('aes-256-gcm', key, iv);
          d.setAuthTag(tag);
          const out = d.update(ct);
          d.final();
          return out;
        },
      },
      { name: OURS, fn: () => native.decrypt(env) },
      { name: NOBLE, fn: () => gcm(key, iv).decrypt(nobleCt) },
      { name: OURS_NOBLE, fn: () => noble.decrypt(env) },
    ],
    { ...opts, ours: OURS, rival: [NODE, NOBLE] },
  );
  summary.push(
    `${label.padEnd(7)} encrypt: ${ratio(enc, OURS, NODE).toFixed(2)}x raw node:crypto (${ratio(enc, OURS, NODE_MIN).toFixed(2)}x unframed), noble-backed envelope ${ratio(enc, OURS_NOBLE, NOBLE).toFixed(2)}x raw noble | ` +
      `decrypt: ${ratio(dec, OURS, NODE).toFixed(2)}x raw node:crypto, noble-backed envelope ${ratio(dec, OURS_NOBLE, NOBLE).toFixed(2)}x raw noble`,
  );
}

console.log(
  '\n## summary (throughput ratio, >1 = faster than the rival; target >= 0.90x raw node:crypto at 64 KiB and 1 MiB)',
);
for (const s of summary) console.log(`  ${s}`);
bench.write();
