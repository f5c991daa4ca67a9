// Several keyrings on one store (one process here, with an injected clock; the same rules run across processes in
// fleet.test.ts): one initial key, one rotation per period, unknown ids reloaded before failing, new primaries picked
// up within refreshMs, and message counts shared through the store.
import { describe, expect, it } from 'vitest';
import {
  createCipher,
  createKeyring,
  inspectEnvelope,
  type KeyRecord,
  type KeyStore,
  memoryKeyStore,
} from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('keyrings sharing one store', () => {
  it('keyrings starting together on an empty store agree on one first key', async () => {
    const store = memoryKeyStore();
    const rings = await Promise.all([1, 2, 3, 4].map(() => createKeyring({ store })));
    expect(await store.load()).toHaveLength(1);
    expect(new Set(rings.map((r) => r.primaryId)).size).toBe(1);
  });

  it('an unknown key id reloads the store before failing, even right after another reload', async () => {
    const store = memoryKeyStore();
    const a = await createKeyring({ store });
    const b = await createKeyring({ store }); // just loaded: a reload now is within refreshMinIntervalMs
    await a.rotate();
    const sealed = await createCipher({ keyring: a }).encrypt(enc.encode('from a'));
    expect(dec.decode(await createCipher({ keyring: b }).decrypt(sealed))).toBe('from a');
    expect(b.get(a.primaryId!)?.state).toBe('primary');
  });

  it('concurrent decrypts of unknown ids share one reload; a forged id fails after it', async () => {
    const inner = memoryKeyStore();
    let loads = 0;
    const store: KeyStore = {
      readOnly: false,
      load: () => {
        loads++;
        return inner.load();
      },
      update: (fn) => inner.update(fn),
    };
    const a = await createKeyring({ store });
    const b = await createKeyring({ store, refreshMinIntervalMs: 0 });
    await a.rotate();
    const ca = createCipher({ keyring: a });
    const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => ca.encrypt(enc.encode(`m${i}`))));
    const before = loads;
    const cb = createCipher({ keyring: b });
    const out = await Promise.all(sealed.map((e) => cb.decrypt(e)));
    expect(out.map((o) => dec.decode(o))).toEqual(sealed.map((_, i) => `m${i}`));
    expect(loads - before).toBe(1);
    const forged = sealed[0]!.slice();
    forged.set(enc.encode('AAAAAAAAAAAA'), 3); // a well-formed id nobody has
    await expect(cb.decrypt(forged)).rejects.toMatchObject({ reason: 'unknown-key' });
    expect(loads - before).toBe(2);
  });

  it('picks up a primary made elsewhere within refreshMs (encrypt never uses a view older than that)', async () => {
    let now = 1_000_000;
    const store = memoryKeyStore();
    const a = await createKeyring({ store, clock: () => now });
    const b = await createKeyring({ store, clock: () => now, refreshMs: 5_000 });
    const cb = createCipher({ keyring: b });
    const first = a.primaryId!;
    const second = (await a.rotate()).id;
    now += 2_000; // under half of refreshMs: no reload yet, the view b has is used
    expect(inspectEnvelope(await cb.encrypt(new Uint8Array(1))).keyId).toBe(first);
    now += 3_000;
    const events: string[] = [];
    b.on('rotate', (e) => events.push(`${e.previous}->${e.primary} ${e.reason}`));
    expect(inspectEnvelope(await cb.encrypt(new Uint8Array(1))).keyId).toBe(second);
    expect(events).toEqual([`${first}->${second} adopted`]);
  });

  it('rotateAfterMessages counts every keyring on a counting store: no key seals more than the limit in total', async () => {
    const store = memoryKeyStore();
    const rings = await Promise.all([1, 2, 3].map(() => createKeyring({ store, rotateAfterMessages: 10 })));
    const ciphers = rings.map((keyring) => createCipher({ keyring }));
    const ids: string[] = [];
    for (let round = 0; round < 20; round++)
      ids.push(
        ...(await Promise.all(
          ciphers.flatMap((c) => [c, c]).map(async (c) => inspectEnvelope(await c.encrypt(new Uint8Array(1))).keyId),
        )),
      );
    const perKey = new Map<string, number>();
    for (const id of ids) perKey.set(id, (perKey.get(id) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBeLessThanOrEqual(10);
    expect(perKey.size).toBe(12); // 120 messages, 10 a key: no rotation wasted in one process
  });

  it('a reload that read the store before a rotation cannot bring the old primary back', async () => {
    const inner = memoryKeyStore();
    let gate: (() => void) | null = null;
    const store: KeyStore = {
      readOnly: false,
      async load() {
        const snapshot = await inner.load();
        if (gate === null) return snapshot;
        await new Promise<void>((r) => {
          const open = gate!;
          gate = () => {
            open();
            r();
          };
        });
        return snapshot;
      },
      update: (fn) => inner.update(fn),
    };
    const keyring = await createKeyring({ store });
    gate = () => undefined;
    const reload = keyring.refresh(); // reads the store now, answers later
    await new Promise((r) => setTimeout(r, 5));
    const rotation = keyring.rotate();
    await new Promise((r) => setTimeout(r, 5));
    const release = gate as () => void;
    gate = null;
    release();
    await reload;
    const rotated = await rotation;
    expect(keyring.primaryId).toBe(rotated.id);
    expect((await inner.load()).find((k: KeyRecord) => k.state === 'primary')!.id).toBe(rotated.id);
  });
});
