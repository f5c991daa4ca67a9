/**
 * @org/secrets/node — secrets from mounted files (Kubernetes Secret volumes, Docker and Compose secrets, any
 * `*_FILE` path), re-read when the files change.
 */
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { invalidOption, SecretsError } from './errors.js';
import type { ProviderValue, SecretProvider } from './secrets.js';

/** Options for {@link fileProvider}. */
export interface FileProviderOptions {
  /**
   * A directory holding one file per secret, named after it (`/var/run/secrets/app/DATABASE_URL`): a Kubernetes
   * Secret volume, `/run/secrets` for Docker.
   */
  dir?: string;
  /** Explicit files by secret name, e.g. `{ DB_PASSWORD: process.env.DB_PASSWORD_FILE }`; used before `dir`. */
  files?: Readonly<Record<string, string | undefined>>;
  /** Maps a secret name to its file name in `dir` (e.g. `DATABASE_URL` → `database-url`). Default: the name itself. */
  fileName?: (name: string) => string;
  /** Watch the directories and report changes, so rotated files are re-read at once. Default `true`. */
  watch?: boolean;
  /** Waits this long after the last change event before reporting it (writers that write in steps). Default 100. */
  debounceMs?: number;
  /** A larger file is refused (a mis-pointed path must not load a disk image into memory). Default 1 MiB. */
  maxBytes?: number;
  /** Drop one trailing `\n` (or `\r\n`), as `echo value > file` and many secret tools add. Default `true`. */
  trimNewline?: boolean;
  /** Provider name in events and errors. Default `file:<dir>` (or `file`). */
  name?: string;
}

const W = 'fileProvider';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** One watcher per directory, shared by every secret in it. */
interface DirWatch {
  watcher: FSWatcher | undefined;
  listeners: Set<() => void>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Reads secrets from files. A missing file is "not here" (the next provider is asked); any other failure (permission,
 * a directory, a file over `maxBytes`, bytes that are not UTF-8) is an error. Kubernetes updates a Secret volume by
 * writing a new timestamped directory and atomically renaming the `..data` symlink to it: the directory watch sees
 * that rename, and the next read follows the symlinks to the new files.
 *
 * ```ts
 * const vault = secrets({
 *   providers: [fileProvider({ dir: '/var/run/secrets/app' }), envProvider()],
 *   secrets: { DATABASE_URL: true },
 * });
 * vault.on('rotate', ({ name }) => pool.reconnect()); // a rotated file, seen at once
 * ```
 * @throws {TypeError|RangeError} on a bad option.
 */
export function fileProvider(options: FileProviderOptions): SecretProvider {
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${String(options)}`);
  const { dir, files = {} } = options;
  if (dir !== undefined && (typeof dir !== 'string' || dir === ''))
    throw invalidOption(TypeError, `${W}: dir must be a non-empty path, got ${String(dir)}`);
  if (typeof files !== 'object' || files === null)
    throw invalidOption(TypeError, `${W}: files must be an object of name → path`);
  for (const [k, v] of Object.entries(files)) {
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw invalidOption(TypeError, `${W}: files.${k} must be a path, got ${String(v)}`);
  }
  if (dir === undefined && Object.keys(files).length === 0)
    throw invalidOption(TypeError, `${W}: give dir, files or both`);
  const fileName = options.fileName ?? ((n: string) => n);
  if (typeof fileName !== 'function') throw invalidOption(TypeError, `${W}: fileName must be a function`);
  const debounceMs = options.debounceMs ?? 100;
  if (typeof debounceMs !== 'number' || !Number.isFinite(debounceMs) || debounceMs < 0 || debounceMs > 60_000)
    throw invalidOption(RangeError, `${W}: debounceMs must be a number in [0, 60000], got ${String(debounceMs)}`);
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    throw invalidOption(RangeError, `${W}: maxBytes must be an integer >= 1, got ${String(maxBytes)}`);
  const trimNewline = options.trimNewline ?? true;
  const watching = options.watch ?? true;
  const base = dir === undefined ? undefined : resolve(dir);
  const dirs = new Map<string, DirWatch>();

  const pathOf = (name: string): string | undefined => {
    const explicit = files[name];
    if (explicit !== undefined) return resolve(explicit);
    if (base === undefined) return undefined;
    const f = fileName(name);
    // The name becomes one file in `dir`: no separators, no `..`, no Kubernetes' own `..data` entries.
    if (typeof f !== 'string' || f === '' || /[/\\\0]/.test(f) || f.startsWith('..') || isAbsolute(f))
      throw invalidOption(
        TypeError,
        `${W}: secret "${name}" maps to ${JSON.stringify(f)}, which is not a file name in ${base}`,
      );
    return join(base, f);
  };

  const providerName = options.name ?? (base === undefined ? 'file' : `file:${base}`);
  const readText = async (name: string, path: string, signal: AbortSignal): Promise<string | undefined> => {
    const unreadable = (why: string): SecretsError =>
      new SecretsError(
        'ERR_SECRET_READ',
        `secrets: reading secret "${name}" from ${providerName} failed: ${path} ${why}`,
        {
          secret: name,
        },
      );
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw unreadable('is not a regular file');
      if (st.size > maxBytes) throw unreadable(`is ${st.size} bytes, over maxBytes (${maxBytes})`);
      signal.throwIfAborted();
      const buf = await fh.readFile({ signal });
      if (buf.byteLength > maxBytes) throw unreadable(`grew over maxBytes (${maxBytes}) while being read`);
      let text: string;
      try {
        text = UTF8.decode(buf);
      } catch {
        throw unreadable('is not UTF-8 text');
      }
      if (trimNewline)
        text = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
      return text;
    } finally {
      await fh.close();
    }
  };

  const watchDir = (d: string, onChange: () => void): (() => void) => {
    let w = dirs.get(d);
    if (w === undefined) {
      const entry: DirWatch = { watcher: undefined, listeners: new Set(), timer: undefined };
      const fire = (): void => {
        if (entry.timer !== undefined) clearTimeout(entry.timer);
        entry.timer = setTimeout(() => {
          entry.timer = undefined;
          for (const l of [...entry.listeners]) l();
        }, debounceMs);
        entry.timer.unref();
      };
      try {
        entry.watcher = fsWatch(d, { persistent: false }, fire);
        // The directory went away (volume unmounted): report it; reads now fail or find nothing.
        entry.watcher.on('error', () => {
          entry.watcher?.close();
          entry.watcher = undefined;
          fire();
        });
      } catch {
        // Not watchable (missing directory, no inotify slots): the manager's ttlMs / refreshMs still re-read.
        entry.watcher = undefined;
      }
      dirs.set(d, entry);
      w = entry;
    }
    const dw = w;
    dw.listeners.add(onChange);
    return () => {
      dw.listeners.delete(onChange);
      if (dw.listeners.size === 0) {
        dw.watcher?.close();
        if (dw.timer !== undefined) clearTimeout(dw.timer);
        dirs.delete(d);
      }
    };
  };

  const provider: SecretProvider = {
    name: providerName,
    async get(name: string, signal: AbortSignal): Promise<ProviderValue | undefined> {
      const path = pathOf(name);
      if (path === undefined) return undefined;
      return readText(name, path, signal);
    },
    close() {
      for (const w of dirs.values()) {
        w.watcher?.close();
        if (w.timer !== undefined) clearTimeout(w.timer);
      }
      dirs.clear();
    },
  };
  if (watching) {
    provider.watch = (name: string, onChange: () => void): (() => void) => {
      const path = pathOf(name);
      if (path === undefined) return () => {};
      // The directory, not the file: a file watch follows the old inode and misses Kubernetes' symlink swap.
      return watchDir(dirname(path), onChange);
    };
  }
  return provider;
}

export type { ProviderValue, SecretProvider } from './secrets.js';
