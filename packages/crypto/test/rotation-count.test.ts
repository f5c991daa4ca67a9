// Count-based rotation under concurrency: no key may seal more than rotateAfterMessages, however many encrypts (and
// streams) wait on a rotation at once (issue #22 item 6).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Cipher,
  createCipher,
  createKeyring,
  inspectEnvelope,
  type KeyStore,
  memoryKeyStore,
} from '../src/index.js';

/** A store without `reserve`: the keyring counts messages itself (per instance). */
function localCountingStore(): KeyStore {
  const inner = memoryKeyStore();
  return { readOnly: false, load: () => inner.load(), update: (fn) => inner.update(fn) };
}

const STORES: Array<[string, () => KeyStore]> = [
  ['memoryKeyStore', () => memoryKeyStore()],
  ['a store without reserve (the keyring counts)', localCountingStore],
];

/** Seals one message or one stream and returns the id of the key it used. */
async function sealOne(cipher: Cipher, stream: boolean): Promise<string> {
  if (!stream) return inspectEnvelope(await cipher.encrypt(new Uint8Array(3))).keyId;
  for await (const head of cipher.encryptStream([new Uint8Array(3)])) return inspectEnvelope(head).keyId;
  throw new Error('encryptStream yielded nothing');
}

function perKey(ids: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe.each(STORES)('rotateAfterMessages under concurrency, %s', (_name, makeStore) => {
  it('300 concurrent encrypts with a limit of 7: no key seals more than 7', async () => {
    const keyring = await createKeyring({ store: makeStore(), rotateAfterMessages: 7 });
    const cipher = createCipher({ keyring });
    const ids = await Promise.all(Array.from({ length: 300 }, () => sealOne(cipher, false)));
    const counts = perKey(ids);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(7);
    expect(counts.size).toBe(Math.ceil(300 / 7)); // and no key retired early: every key but the last sealed 7
    expect([...counts.values()].filter((n) => n !== 7)).toEqual([300 % 7]);
  });

  it('property: random limits, batch sizes and envelope/stream mixes never put more than the limit under one key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 6 }),
        async (limit, batches) => {
          const keyring = await createKeyring({ store: makeStore(), rotateAfterMessages: limit });
          const cipher = createCipher({ keyring });
          const ids: string[] = [];
          // Each batch runs concurrently; batches follow one another (so counts carry over between them).
          for (const batch of batches) ids.push(...(await Promise.all(batch.map((s) => sealOne(cipher, s)))));
          for (const [id, n] of perKey(ids)) expect(n, `key ${id}`).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 60 },
    );
  });
});
