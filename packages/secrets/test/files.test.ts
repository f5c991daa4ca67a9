import { mkdir, mkdtemp, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envProvider, isSecretsError, type SecretsEvents, secrets } from '../src/index.js';
import { fileProvider } from '../src/node.js';
import { writeSecretVolume } from './k8s.js';

let dir: string;
const closers: Array<() => Promise<void>> = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'org-secrets-'));
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await rm(dir, { recursive: true, force: true });
});
function track<T extends { close(): Promise<void> }>(m: T): T {
  closers.push(() => m.close());
  return m;
}

/** Resolves with the first event, or rejects after `ms` (a bounded wait: file events are asynchronous). */
function next<E extends keyof SecretsEvents>(
  m: { on<K extends keyof SecretsEvents>(e: K, l: (x: SecretsEvents[K]) => void): () => void },
  event: E,
  ms = 5000,
): Promise<SecretsEvents[E]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${ms} ms`));
    }, ms);
    const off = m.on(event, (x) => {
      clearTimeout(t);
      off();
      resolve(x);
    });
  });
}

describe('fileProvider: reading', () => {
  it('reads one file per secret, dropping one trailing newline (\\n or \\r\\n) unless told not to', async () => {
    await writeFile(join(dir, 'A'), 'alpha\n');
    await writeFile(join(dir, 'B'), 'beta\r\n');
    await writeFile(join(dir, 'C'), 'gamma\n\n');
    const s = track(secrets({ providers: [fileProvider({ dir })], secrets: { A: true, B: true, C: true } }));
    await s.load();
    expect([s.current('A').reveal(), s.current('B').reveal(), s.current('C').reveal()]).toEqual([
      'alpha',
      'beta',
      'gamma\n',
    ]);
    const raw = track(secrets({ providers: [fileProvider({ dir, trimNewline: false })], secrets: { A: true } }));
    expect((await raw.get('A')).reveal()).toBe('alpha\n');
    expect(s.status()[0]!.source).toBe(`file:${dir}`);
  });

  it('a missing file falls through to the next provider; explicit files (the *_FILE convention) come first', async () => {
    await mkdir(join(dir, 'other'));
    await writeFile(join(dir, 'other', 'db-password'), 'from-explicit-file');
    const s = track(
      secrets({
        providers: [
          fileProvider({ dir, files: { DB_PASSWORD: join(dir, 'other', 'db-password') } }),
          envProvider({ env: { API_TOKEN: 'from-env', DB_PASSWORD: 'not-this' } }),
        ],
        secrets: { DB_PASSWORD: true, API_TOKEN: true },
      }),
    );
    await s.load();
    expect(s.current('DB_PASSWORD').reveal()).toBe('from-explicit-file');
    expect(s.current('API_TOKEN').reveal()).toBe('from-env');
    expect(s.status().map((x) => x.source)).toEqual([`file:${dir}`, 'env']);
  });

  it('maps names to file names, and refuses a name that would leave the directory', async () => {
    await writeFile(join(dir, 'database-url'), 'postgres://x');
    const s = track(
      secrets({
        providers: [fileProvider({ dir, fileName: (n) => n.toLowerCase().replaceAll('_', '-') })],
        secrets: { DATABASE_URL: true, '../etc/passwd': true, '..data': true },
      }),
    );
    const err = await s.load().catch((e: unknown) => e);
    expect(isSecretsError(err) && err.errors.map((e) => [e.secret, e.code])).toEqual([
      ['../etc/passwd', 'ERR_SECRET_READ'],
      ['..data', 'ERR_SECRET_READ'],
    ]);
    expect(String((err as Error).message)).toMatch(/maps to "..\/etc\/passwd", which is not a file name in/);
    expect(s.current('DATABASE_URL').reveal()).toBe('postgres://x');
  });

  it('refuses a directory, a file over maxBytes and bytes that are not UTF-8, without quoting the content', async () => {
    await mkdir(join(dir, 'ADIR'));
    await writeFile(join(dir, 'BIG'), 'x'.repeat(2048));
    await writeFile(join(dir, 'BIN'), Buffer.from([0x68, 0x75, 0x6e, 0xff, 0xfe, 0x32]));
    const s = track(
      secrets({ providers: [fileProvider({ dir, maxBytes: 1024 })], secrets: { ADIR: true, BIG: true, BIN: true } }),
    );
    const err = (await s.load().catch((e: unknown) => e)) as Error & { errors: Error[] };
    expect(err.errors.map((e) => e.message)).toEqual([
      `secrets: reading secret "ADIR" from file:${dir} failed: ${join(dir, 'ADIR')} is not a regular file`,
      `secrets: reading secret "BIG" from file:${dir} failed: ${join(dir, 'BIG')} is 2048 bytes, over maxBytes (1024)`,
      `secrets: reading secret "BIN" from file:${dir} failed: ${join(dir, 'BIN')} is not UTF-8 text`,
    ]);
  });

  it('rejects bad options', () => {
    expect(() => fileProvider({})).toThrow(/give dir, files or both/);
    expect(() => fileProvider({ dir: '' })).toThrow(/dir must be a non-empty path/);
    expect(() => fileProvider({ dir, maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => fileProvider({ dir, debounceMs: -1 })).toThrow(/debounceMs/);
    expect(() => fileProvider({ files: { A: '' } })).toThrow(/files.A must be a path/);
  });
});

describe('fileProvider: rotation', () => {
  it('Kubernetes: the ..data symlink swap of a Secret volume is seen at once and emits rotate', async () => {
    await writeSecretVolume(dir, { DB_PASSWORD: 'old-password', API_KEY: 'key-1' });
    const s = track(
      secrets({
        providers: [fileProvider({ dir, debounceMs: 20 })],
        secrets: { DB_PASSWORD: true, API_KEY: true },
        ttlMs: Number.POSITIVE_INFINITY, // no polling: only the watch can notice
      }),
    );
    const errors: unknown[] = [];
    s.on('error', (e) => errors.push(e));
    await s.load();
    const before = await readlink(join(dir, '..data'));
    const rotated = next(s, 'rotate');
    await writeSecretVolume(dir, { DB_PASSWORD: 'new-password', API_KEY: 'key-1' });
    expect(await readlink(join(dir, '..data'))).not.toBe(before);
    expect(await rotated).toEqual({
      name: 'DB_PASSWORD',
      source: `file:${dir}`,
      previousSource: `file:${dir}`,
      version: undefined,
      previousVersion: undefined,
    });
    expect(s.current('DB_PASSWORD').reveal()).toBe('new-password');
    expect((await s.get('API_KEY')).reveal()).toBe('key-1'); // unchanged: no rotate for it
    expect(errors).toEqual([]);
    // and again: the watch survives the swap
    const again = next(s, 'rotate');
    await writeSecretVolume(dir, { DB_PASSWORD: 'newer-password', API_KEY: 'key-1' });
    await again;
    expect(s.current('DB_PASSWORD').reveal()).toBe('newer-password');
  });

  it('Docker / plain files: a file replaced by write-then-rename is seen and emits rotate', async () => {
    await writeFile(join(dir, 'TOKEN'), 'token-1\n');
    const s = track(
      secrets({
        providers: [fileProvider({ dir, debounceMs: 20 })],
        secrets: { TOKEN: true },
        ttlMs: Number.POSITIVE_INFINITY,
      }),
    );
    await s.load();
    const rotated = next(s, 'rotate');
    await writeFile(join(dir, '.TOKEN.tmp'), 'token-2\n');
    await rename(join(dir, '.TOKEN.tmp'), join(dir, 'TOKEN'));
    await rotated;
    expect(s.current('TOKEN').reveal()).toBe('token-2');
  });

  it('a file that disappears keeps the last good value and reports ERR_SECRET_MISSING', async () => {
    await writeFile(join(dir, 'TOKEN'), 'token-1');
    const s = track(
      secrets({
        providers: [fileProvider({ dir, debounceMs: 20 })],
        secrets: { TOKEN: true },
        ttlMs: Number.POSITIVE_INFINITY,
      }),
    );
    await s.load();
    const failed = next(s, 'error');
    await rm(join(dir, 'TOKEN'));
    expect((await failed).error.code).toBe('ERR_SECRET_MISSING');
    expect(s.current('TOKEN').reveal()).toBe('token-1');
  });

  it('without watch, a rotation is read on refresh() (or ttlMs / refreshMs)', async () => {
    await writeSecretVolume(dir, { A: 'a1' });
    const s = track(secrets({ providers: [fileProvider({ dir, watch: false })], secrets: { A: true }, refreshMs: 50 }));
    await s.load();
    const rotated = next(s, 'rotate');
    await writeSecretVolume(dir, { A: 'a2' });
    await rotated; // the refreshMs timer found it
    expect(s.current('A').reveal()).toBe('a2');
  });

  it('close() stops watching: later swaps change nothing', async () => {
    await writeSecretVolume(dir, { A: 'a1' });
    const s = secrets({
      providers: [fileProvider({ dir, debounceMs: 10 })],
      secrets: { A: true },
      ttlMs: Number.POSITIVE_INFINITY,
    });
    await s.load();
    let rotations = 0;
    s.on('rotate', () => rotations++);
    await s.close();
    await writeSecretVolume(dir, { A: 'a2' });
    await new Promise((r) => setTimeout(r, 200));
    expect(rotations).toBe(0);
    expect(s.current('A').reveal()).toBe('a1');
  });
});
