// Real Redis topologies on loopback for the Cluster and Sentinel tests: a 3-master Redis Cluster (6 redis-server
// processes joined with `redis-cli --cluster create`) and a Sentinel setup (master, replica, 3 sentinels). Every
// process is started here and stopped by `stop()` (SIGKILL, then its files are removed), also when start-up fails
// half-way; a process 'exit' hook kills whatever is left if the test process ends without calling stop().
// Ports: this package owns 7100-7199 (cluster in 7100-7149 with bus ports +10000, sentinel in 7150-7199).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { portsInRange, stopServer } from './redis-server.js';

/** The binaries a topology needs that are not on PATH (empty when all are there). */
export function missingBinaries(names: readonly string[]): string[] {
  return names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`], { stdio: 'ignore' }).status !== 0);
}

/** The sentinel program: Debian's `redis-sentinel` when installed, else `redis-server --sentinel` (the same binary). */
export function sentinelCommand(): { cmd: string; args: string[] } {
  return missingBinaries(['redis-sentinel']).length === 0
    ? { cmd: 'redis-sentinel', args: [] }
    : { cmd: 'redis-server', args: ['--sentinel'] };
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Polls `cond` every 50 ms until it is true. @throws naming `what` after `ms`. */
export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await cond()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Starts a process and resolves when its stdout shows `ready`. */
async function startProcess(cmd: string, args: string[], ready: RegExp, ms = 10_000): Promise<ChildProcess> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${cmd} ${args.join(' ')}: not ready after ${ms} ms:\n${out}`)),
      ms,
    );
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
  return proc;
}

/** One short-lived connection for an admin command. */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return await r.call(args[0]!, ...args.slice(1));
  } finally {
    r.disconnect();
  }
}

const BASE = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

/** A node as `CLUSTER NODES` describes it. */
export interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  /** For a replica, the id of its master. */
  masterId: string | undefined;
  /** Owned slot ranges [from, to], for a master. */
  slots: Array<[number, number]>;
}

/** A running 3-master, 3-replica Redis Cluster. */
export interface ClusterTopology {
  ports: number[];
  /** The cluster as one live node sees it. */
  nodes(fromPort?: number): Promise<ClusterNode[]>;
  /** True when every live node reports `cluster_state:ok` and agrees on 3 reachable masters covering every slot. */
  healthy(): Promise<boolean>;
  /** SIGKILL one node. */
  kill(port: number): Promise<void>;
  /** Sends a command to one node. */
  ask(port: number, ...args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

function parseNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(' ');
      const flags = f[2]!.split(',');
      const slots: Array<[number, number]> = [];
      for (const s of f.slice(8)) {
        if (s.startsWith('[')) continue; // slot being migrated
        const [a, b] = s.split('-');
        slots.push([Number(a), Number(b ?? a)]);
      }
      return {
        id: f[0]!,
        port: Number(f[1]!.split(':')[1]!.split('@')[0]),
        master: flags.includes('master'),
        failed: flags.includes('fail') || flags.includes('fail?'),
        masterId: f[3] === '-' ? undefined : f[3],
        slots,
      };
    });
}

/** Starts 6 cluster-enabled redis-servers and joins them as 3 masters with one replica each. */
export async function startCluster(): Promise<ClusterTopology> {
  const ports = await portsInRange(7100, 7149, 6, true);
  const dir = mkdtempSync(join(tmpdir(), 'rl-cluster-'));
  const procs = new Map<number, ChildProcess>();
  const dead = new Set<number>();
  const stop = async () => {
    for (const p of procs.values()) await stopServer(p);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const proc = await startProcess(
        'redis-server',
        [
          '--port',
          String(port),
          ...BASE,
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          // Failure detection in 3 s (long enough that a loaded CI host still sees the slot masterless first), and a
          // replica may always take over (validity factor 0), so a failover takes seconds.
          '--cluster-node-timeout',
          '3000',
          '--cluster-replica-validity-factor',
          '0',
        ],
        /Ready to accept connections/,
      );
      procs.set(port, proc);
    }
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    const topo: ClusterTopology = {
      ports,
      ask,
      async nodes(fromPort) {
        const port = fromPort ?? ports.find((p) => !dead.has(p))!;
        return parseNodes(String(await ask(port, 'CLUSTER', 'NODES')));
      },
      async healthy() {
        for (const port of ports) {
          if (dead.has(port)) continue;
          const info = String(await ask(port, 'CLUSTER', 'INFO'));
          if (!info.includes('cluster_state:ok')) return false;
          const ns = await topo.nodes(port);
          const masters = ns.filter((n) => n.master && !n.failed && n.slots.length > 0);
          const covered = masters.reduce((t, n) => t + n.slots.reduce((s, [a, b]) => s + b - a + 1, 0), 0);
          if (masters.length !== 3 || covered !== 16_384) return false;
          if (masters.some((m) => dead.has(m.port))) return false;
        }
        return true;
      },
      async kill(port) {
        dead.add(port);
        await stopServer(procs.get(port)!);
      },
      stop,
    };
    await waitUntil('the cluster to be healthy on every node', () => topo.healthy(), 30_000);
    // Every replica attached and in sync before any failover is tried.
    await waitUntil(
      'every replica to be in sync',
      async () => {
        for (const port of ports) {
          const info = String(await ask(port, 'INFO', 'replication'));
          if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
        }
        return true;
      },
      30_000,
    );
    return topo;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A running Sentinel setup: one master, one replica, three sentinels watching `name`. */
export interface SentinelTopology {
  name: string;
  masterPort: number;
  replicaPort: number;
  sentinelPorts: number[];
  /** The master's port as the sentinels report it. */
  currentMaster(): Promise<number>;
  kill(port: number): Promise<void>;
  ask(port: number, ...args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts a master, a replica of it and three sentinels (quorum 2) that fail over after 3 s without an answer. */
export async function startSentinel(name = 'rlmaster'): Promise<SentinelTopology> {
  const [masterPort, replicaPort, ...sentinelPorts] = await portsInRange(7150, 7199, 5);
  const dir = mkdtempSync(join(tmpdir(), 'rl-sentinel-'));
  const procs = new Map<number, ChildProcess>();
  const stop = async () => {
    for (const p of procs.values()) await stopServer(p);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    procs.set(
      masterPort!,
      await startProcess('redis-server', ['--port', String(masterPort), ...BASE, '--dir', dir], /Ready to accept/),
    );
    procs.set(
      replicaPort!,
      await startProcess(
        'redis-server',
        ['--port', String(replicaPort), ...BASE, '--dir', dir, '--replicaof', '127.0.0.1', String(masterPort)],
        /Ready to accept/,
      ),
    );
    await waitUntil(
      'the replica to sync',
      async () => String(await ask(replicaPort!, 'INFO', 'replication')).includes('master_link_status:up'),
      15_000,
    );
    const { cmd, args } = sentinelCommand();
    for (const port of sentinelPorts) {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 3000`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      procs.set(port, await startProcess(cmd, [conf, ...args], /\+monitor master/));
    }
    // Failover needs every sentinel to know the replica and the other sentinels.
    await waitUntil(
      'the sentinels to discover the replica and each other',
      async () => {
        for (const port of sentinelPorts) {
          const replicas = (await ask(port, 'SENTINEL', 'REPLICAS', name)) as unknown[];
          const others = (await ask(port, 'SENTINEL', 'SENTINELS', name)) as unknown[];
          if (replicas.length !== 1 || others.length !== 2) return false;
        }
        return true;
      },
      30_000,
    );
    return {
      name,
      masterPort: masterPort!,
      replicaPort: replicaPort!,
      sentinelPorts,
      ask,
      async currentMaster() {
        const [, port] = (await ask(sentinelPorts[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
        return Number(port);
      },
      async kill(port) {
        await stopServer(procs.get(port)!);
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
