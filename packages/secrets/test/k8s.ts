import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

let generation = 0;

/**
 * Writes `data` into `dir` the way the kubelet's AtomicWriter updates a Secret volume: the files go into a new
 * timestamped directory, a `..data_tmp` symlink to it is renamed over `..data` (one atomic step), every visible name is
 * a symlink `name -> ..data/name`, and the previous timestamped directory is removed.
 */
export async function writeSecretVolume(dir: string, data: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ts = `..2026_08_16_12_00_00.${process.pid}${String(generation++).padStart(6, '0')}`;
  await mkdir(join(dir, ts), { mode: 0o755 });
  for (const [k, v] of Object.entries(data)) await writeFile(join(dir, ts, k), v, { mode: 0o644 });
  let previous: string | undefined;
  try {
    previous = await readlink(join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  await symlink(ts, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  const present = new Set(await readdir(dir));
  for (const k of Object.keys(data)) if (!present.has(k)) await symlink(join('..data', k), join(dir, k));
  if (previous !== undefined) await rm(join(dir, previous), { recursive: true, force: true });
}
