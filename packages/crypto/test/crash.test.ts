import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCipher, createKeyring } from '../src/index.js';
import { fileKeyStore, secureStorage } from '../src/node.js';
import { bundleChildren, killAll, spawnChild } from './children/spawn.js';

const root = mkdtempSync(join(tmpdir(), 'org-crypto-crash-'));
afterAll(() => {
  killAll();
  rmSync(root, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let children: Record<string, string> = {};
beforeAll(async () => {
  children = await bundleChildren(join(root, 'bin'), ['rotate-forever', 'put-forever', 'die-holding-lock']);
});

describe('crash safety with real processes killed by SIGKILL mid-write', () => {
  it('a key file survives 36 kills during rotation (3 writers at a time): loadable, every persisted key present', async () => {
    const path = join(root, 'keys', 'ring.json');
    const kek = Buffer.alloc(32, 42).toString('base64');
    const persisted = new Set<string>();
    let rotationsSeen = 0;
    let killedInsideUpdate = 0;
    for (let round = 0; round < 12; round++) {
      const kids = [0, 1, 2].map(() => spawnChild(children['rotate-forever']!, [path], { TEST_KEK: kek }));
      await Promise.all(kids.map((k) => k.waitFor('persisted ')));
      await sleep(5 + Math.floor(Math.random() * 60));
      for (const k of kids) k.proc.kill('SIGKILL');
      const exits = await Promise.all(kids.map((k) => k.exited));
      for (const e of exits) expect(e.signal, e.stderr).toBe('SIGKILL');
      for (const k of kids)
        for (const l of k.lines) {
          const [tag, id] = l.split(' ');
          if (tag === 'ready' || tag === 'persisted') persisted.add(id!);
          if (tag === 'persisted') rotationsSeen++;
        }
      // Leftover lock or temp files prove a process died inside an update (holding the lock or mid-write).
      if (readdirSync(join(root, 'keys')).some((f) => f !== 'ring.json')) killedInsideUpdate++;
      // After every crash the file loads and holds every key any child reported as persisted.
      const stored = await fileKeyStore(path, { kek }).load();
      const ids = new Set(stored.map((k) => k.id));
      for (const id of persisted) expect(ids.has(id), `key ${id} lost after round ${round}`).toBe(true);
      expect(stored.filter((k) => k.state === 'primary')).toHaveLength(1);
    }
    expect(rotationsSeen).toBeGreaterThan(20);
    expect(killedInsideUpdate).toBeGreaterThan(3);
    console.log(
      `crash: ${rotationsSeen} rotations persisted, ${killedInsideUpdate}/12 rounds left a process dead mid-update`,
    );
    // A survivor can still rotate (stale locks and temp files of the dead are cleaned up).
    const keyring = await createKeyring({ store: fileKeyStore(path, { kek, lockTimeoutMs: 2000 }) });
    await keyring.rotate();
    expect(readdirSync(join(root, 'keys'))).toEqual(['ring.json']);
  });

  it('40 processes dying while they hold the lock, beside 3 live writers: stale locks broken, no live lock ever broken', async () => {
    const path = join(root, 'keys-stale', 'ring.json');
    const kek = Buffer.alloc(32, 7).toString('base64');
    const writers = [0, 1, 2].map(() => spawnChild(children['rotate-forever']!, [path], { TEST_KEK: kek }));
    await Promise.all(writers.map((k) => k.waitFor('persisted ')));
    let stale = 0;
    for (let i = 0; i < 20; i++) {
      const dying = [0, 1].map(() => spawnChild(children['die-holding-lock']!, [path], { TEST_KEK: kek }));
      for (const e of await Promise.all(dying.map((k) => k.exited))) {
        expect(e.signal, e.stderr).toBe('SIGKILL');
        stale++;
      }
    }
    // Every writer still makes progress after the storm (no wedged lock).
    const before = writers.map((w) => w.lines.length);
    for (let t = 0; t < 200 && writers.some((w, i) => w.lines.length <= before[i]!); t++) await sleep(50);
    expect(writers.map((w, i) => w.lines.length > before[i]!)).toEqual([true, true, true]);
    for (const w of writers) w.proc.kill('SIGKILL');
    await Promise.all(writers.map((w) => w.exited));
    const persisted = new Set(writers.flatMap((w) => w.lines.map((l) => l.split(' ')[1]!)));
    const stored = await fileKeyStore(path, { kek }).load();
    const ids = new Set(stored.map((k) => k.id));
    const lost = [...persisted].filter((id) => !ids.has(id));
    expect(lost, `${lost.length} of ${persisted.size} persisted keys lost`).toEqual([]);
    expect(stored.filter((k) => k.state === 'primary')).toHaveLength(1);
    console.log(`stale locks: ${stale} holders killed with the lock held; ${persisted.size} keys persisted, none lost`);
  });

  it('secureStorage survives 6 kills during put: no partial file is ever listed, every completed file reads back', async () => {
    const dir = join(root, 'storage');
    const completed = new Map<string, number>();
    for (let round = 0; round < 6; round++) {
      const kid = spawnChild(children['put-forever']!, [dir]);
      await kid.waitFor('stored ');
      await sleep(Math.floor(Math.random() * 80));
      kid.proc.kill('SIGKILL');
      await kid.exited;
      for (const l of kid.lines) {
        const [tag, id, n] = l.split(' ');
        if (tag === 'stored') completed.set(id!, Number(n));
      }
    }
    const keyring = await createKeyring({ store: fileKeyStore(join(dir, 'keys.json')) });
    const storage = secureStorage({ dir: join(dir, 'files'), cipher: createCipher({ keyring }) });
    const { files: listed, unreadable } = await storage.list();
    expect(unreadable).toEqual([]);
    for (const id of completed.keys())
      expect(
        listed.some((i) => i.id === id),
        `file ${id} missing`,
      ).toBe(true);
    for (const info of listed) {
      const { data, metadata } = await storage.get(info.id);
      const n = (metadata as { n: number }).n;
      expect(data.length).toBe(300_000 + n * 1000);
      expect(data.every((b, i) => b === ((i + n) & 255))).toBe(true);
    }
    expect(completed.size).toBeGreaterThan(3);
  });
});
