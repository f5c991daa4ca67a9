// Throwaway redis-server processes for the tests that must stop, restart or reconfigure a server (the shared one on
// 6379 is never touched).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/**
 * Starts a redis-server that keeps nothing on disk on `port` and resolves once it accepts connections. The process is
 * added to `track` as soon as it is spawned, so the caller's cleanup kills it even if it never becomes ready.
 */
export async function spawnRedisServer(
  track: ChildProcess[],
  port: number,
  extra: string[] = [],
): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  track.push(proc);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  return proc;
}

/** Kills a server with SIGKILL and resolves once it has exited (at once when it already has). */
export const stopServer = (c: ChildProcess): Promise<void> =>
  new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });

const portFree = (port: number): Promise<boolean> =>
  new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/**
 * The first `count` consecutive ports in [from, to] that are free on 127.0.0.1 (and, with `bus`, their Redis Cluster
 * bus ports, port + 10000). This package's tests own 7100-7199 for servers that need known ports; a leftover server
 * from a crashed run only pushes the block further up. @throws when no block is free, naming the range.
 */
export async function portsInRange(from: number, to: number, count: number, bus = false): Promise<number[]> {
  let start = from;
  while (start + count - 1 <= to) {
    let ok = true;
    for (let p = start; p < start + count; p++) {
      if (!(await portFree(p)) || (bus && !(await portFree(p + 10_000)))) {
        ok = false;
        start = p + 1;
        break;
      }
    }
    if (ok) return Array.from({ length: count }, (_, i) => start + i);
  }
  throw new Error(
    `no ${count} consecutive free ports in ${from}-${to}${bus ? ' (with cluster bus ports +10000)' : ''}`,
  );
}
