import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CryptoError, invalidOption } from './errors.js';
import { type KeyFileOptions, type KeyRecord, normalizeKek, parseKeys, serializeKeys } from './keys.js';
import { checkUpdate, type KeyStore } from './stores.js';

/** Options for {@link fileKeyStore}. */
export interface FileKeyStoreOptions extends KeyFileOptions {
  /** How long `update` waits for another process's lock before failing with `ERR_KEY_STORE_LOCKED`. Default 10000. */
  lockTimeoutMs?: number;
}

/** Defaults applied by {@link fileKeyStore}. */
export const FILE_KEY_STORE_DEFAULTS: Readonly<{ lockTimeoutMs: number }> = Object.freeze({ lockTimeoutMs: 10_000 });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errCode = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errCode(e) === 'EPERM';
  }
}

/** fsync a directory so a rename inside it survives power loss (best effort where the platform refuses). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Windows and some file systems do not allow fsync on directories.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Writes `data` to `path` atomically: temp file (mode 0600) in the same directory, fsync, rename, fsync directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${nodeRandomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

// One queue per path, so several stores on the same file in one process never interleave.
const queues = new Map<string, Promise<unknown>>();

/**
 * Key store in a JSON file (mode 0600), optionally sealed under a key-encryption key (`kek`, e.g. from an environment
 * variable). Every update takes a cross-process lock file, re-reads the file, applies the change and replaces the file
 * atomically (temp file + fsync + rename + directory fsync), so a process killed at any instant leaves the old or the new
 * file, never a partial one, and concurrent rotations in several processes never drop a key. Stale locks and temp
 * files of dead processes are removed.
 * @throws {TypeError|RangeError} on bad options, naming the option.
 */
export function fileKeyStore(path: string, opts: FileKeyStoreOptions = {}): KeyStore {
  if (typeof path !== 'string' || path === '')
    throw invalidOption(TypeError, 'fileKeyStore: path must be a non-empty string');
  const kek = normalizeKek('fileKeyStore', opts);
  const lockTimeoutMs = opts.lockTimeoutMs ?? FILE_KEY_STORE_DEFAULTS.lockTimeoutMs;
  if (typeof lockTimeoutMs !== 'number' || !(lockTimeoutMs >= 0) || lockTimeoutMs === Number.POSITIVE_INFINITY)
    throw invalidOption(
      RangeError,
      `fileKeyStore: lockTimeoutMs must be a finite number >= 0, got ${String(lockTimeoutMs)}`,
    );
  const fileOpts = kek ? { kek } : {};
  const dir = dirname(path);
  const base = basename(path);
  const lockPath = `${path}.lock`;
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  const load = async (): Promise<KeyRecord[]> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (errCode(e) === 'ENOENT') return [];
      throw e;
    }
    try {
      return parseKeys(text, fileOpts);
    } catch (e) {
      if (e instanceof CryptoError) throw new CryptoError(e.code, `fileKeyStore(${path}): ${e.message}`);
      throw e;
    }
  };

  // Temp files and per-process lock files are `<base>.<pid>.<hex>.tmp|lock`; break tokens are `<base>.break.<id>.<n>`.
  const garbage = new RegExp(`^${escaped}\\.(\\d+)\\.[0-9a-f]+\\.(?:tmp|lock)$`);
  const breakToken = new RegExp(`^${escaped}\\.break\\.([0-9a-z]+)\\.\\d+$`);

  /** Runs under the lock: removes temp files of dead processes and break tokens of lock instances long gone. */
  const removeGarbage = async (held: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const m = garbage.exec(name);
      const b = m ? null : breakToken.exec(name);
      // A break token names a lock instance; while we hold the lock, every other instance is gone for good.
      if ((m && !alive(Number(m[1]))) || (b && b[1] !== held)) await unlink(join(dir, name)).catch(() => undefined);
    }
  };

  /**
   * Removes the lock instance `stale` (its owner is dead) without ever removing a live owner's lock. Breakers of one
   * instance serialise on an exclusive break token created with link(); only the token's holder reads the lock file and
   * unlinks it if it still is that instance. Nobody else can change the lock file meanwhile: its owner is dead, a
   * normal acquirer only creates it when it is absent, and other breakers wait on the token. A token whose creator
   * died is skipped (the next number is taken), which is safe because that creator can no longer act.
   */
  const breakStale = async (stale: LockOwner, mine: string): Promise<void> => {
    for (let n = 0; ; n++) {
      const token = join(dir, `${base}.break.${stale.id}.${n}`);
      try {
        await link(mine, token);
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
        const holder = parseOwner(await readFile(token, 'utf8').catch(() => ''));
        if (holder && alive(holder.pid)) return; // another process is breaking it; wait for it
        continue;
      }
      try {
        const current = parseOwner(await readFile(lockPath, 'utf8').catch(() => ''));
        if (current?.id === stale.id) await unlink(lockPath).catch(() => undefined);
      } finally {
        await unlink(token).catch(() => undefined);
      }
      return;
    }
  };

  /** Takes the cross-process lock; resolves with the id of the lock instance now held. */
  const lock = async (): Promise<string> => {
    const deadline = Date.now() + lockTimeoutMs;
    // The lock is created by link() from a fully written file, so it always names its owner: "<pid>:<instance id>".
    const id = nodeRandomBytes(8).toString('hex');
    const mine = `${path}.${process.pid}.${id}.lock`;
    await writeFileNoSync(mine, `${process.pid}:${id}`);
    try {
      for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
        try {
          await link(mine, lockPath);
          return id;
        } catch (e) {
          if (errCode(e) !== 'EEXIST') throw e;
        }
        const text = await readFile(lockPath, 'utf8').catch((e) => (errCode(e) === 'ENOENT' ? null : ''));
        if (text === null) continue; // released between our link and our read
        const owner = parseOwner(text);
        if (owner && !alive(owner.pid)) {
          await breakStale(owner, mine);
          continue;
        }
        if (Date.now() >= deadline)
          throw new CryptoError(
            'ERR_KEY_STORE_LOCKED',
            `fileKeyStore(${path}): lock held by process ${owner ? owner.pid : '?'} for more than ${lockTimeoutMs} ms`,
          );
        await sleep(delay);
      }
    } finally {
      await unlink(mine).catch(() => undefined);
    }
  };

  const update = async (fn: (current: KeyRecord[]) => KeyRecord[]): Promise<KeyRecord[]> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const held = await lock();
    try {
      await removeGarbage(held);
      const current = await load();
      const next = checkUpdate('fileKeyStore', current, fn(current.map((r) => ({ ...r, key: r.key.slice() }))));
      await writeFileAtomic(path, serializeKeys(next, fileOpts));
      return next;
    } finally {
      await unlink(lockPath).catch(() => undefined);
    }
  };

  return {
    readOnly: false,
    load,
    update(fn) {
      const prev = queues.get(path) ?? Promise.resolve();
      const run = prev.then(() => update(fn));
      const tail = run.catch(() => undefined);
      queues.set(path, tail);
      void tail.then(() => {
        if (queues.get(path) === tail) queues.delete(path);
      });
      return run;
    },
  };
}

/** Who holds a lock instance: the owner's pid and the instance id (a lock of an older version holds only a pid). */
interface LockOwner {
  pid: number;
  id: string;
}

function parseOwner(text: string): LockOwner | null {
  const m = /^(\d+)(?::([0-9a-f]{16}))?$/.exec(text);
  if (!m) return null;
  const pid = Number(m[1]);
  return pid > 0 ? { pid, id: m[2] ?? `p${pid}` } : null;
}

async function writeFileNoSync(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}
