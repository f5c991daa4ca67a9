// CPUs a process may use under a container CPU limit (Kubernetes `resources.limits.cpu`, `docker run --cpus`):
// the cgroup's CFS quota divided by its period. os.availableParallelism() counts the CPUs the process may run on,
// not this quota, so a pod limited to 0.5 CPU on a 64-core node would look idle while it is saturated.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

/**
 * The CPU quota of this process's cgroup in CPUs (e.g. 0.5), or undefined when there is none or it cannot be read
 * (no cgroup file system, not Linux). Reads cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`,
 * in the process's own cgroup (from /proc/self/cgroup) and at the mount root (a container's cgroup namespace).
 * `root` is `/` except in tests.
 */
export function cgroupCpuQuota(root = '/'): number | undefined {
  const fs = join(root, 'sys/fs/cgroup');
  const self = readText(join(root, 'proc/self/cgroup')) ?? '';
  const paths = (controller: (line: string) => boolean): string[] => {
    const dirs: string[] = [];
    for (const line of self.split('\n')) {
      const i = line.indexOf(':');
      const j = line.indexOf(':', i + 1);
      if (i < 0 || j < 0 || !controller(line.slice(i + 1, j))) continue;
      const p = line.slice(j + 1);
      if (p !== '/' && !p.includes('..')) dirs.push(p);
    }
    dirs.push('/');
    return dirs;
  };
  // cgroup v2: "max 100000" (no limit) or "50000 100000" (0.5 CPU)
  for (const p of paths((c) => c === '')) {
    const max = readText(join(fs, p, 'cpu.max'));
    if (max === undefined) continue;
    const [quota, period] = max.split(/\s+/);
    if (quota === 'max') return undefined;
    const q = Number(quota);
    const per = Number(period ?? 100_000);
    return q > 0 && per > 0 ? q / per : undefined;
  }
  // cgroup v1: cpu.cfs_quota_us is -1 without a limit
  for (const p of paths((c) => c.split(',').includes('cpu'))) {
    for (const mount of ['cpu', 'cpu,cpuacct']) {
      const quota = readText(join(fs, mount, p, 'cpu.cfs_quota_us'));
      if (quota === undefined) continue;
      const q = Number(quota);
      const per = Number(readText(join(fs, mount, p, 'cpu.cfs_period_us')));
      return q > 0 && per > 0 ? q / per : undefined;
    }
  }
  return undefined;
}
