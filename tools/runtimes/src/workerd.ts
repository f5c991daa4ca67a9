// Runs an ES module worker on workerd (the Cloudflare Workers runtime) on loopback, for tests and smoke scripts.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { runtimeBin } from './index.js';

/** Options of {@link startWorkerd}. */
export interface WorkerdOptions {
  /** Entry module (TypeScript or JavaScript) exporting `default { fetch }`; bundled with esbuild for workerd. */
  entry: string;
  /** Compatibility date; defaults to the date the pinned workerd supports. */
  compatibilityDate?: string;
  /** Compatibility flags, e.g. `['nodejs_compat']`. None by default: the code must run on plain Workers. */
  compatibilityFlags?: string[];
  /** Milliseconds to wait for workerd to answer; default 15000. */
  startTimeoutMs?: number;
}

/** A running workerd. */
export interface Workerd {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Everything workerd printed so far (stdout and stderr), for assertions and failure messages. */
  output(): string;
  /** Stops workerd and removes its temp dir. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

/**
 * Bundles `entry` for Workers (esbuild, `workerd`/`worker`/`browser` conditions) and serves it with workerd on a
 * free loopback port. Throws with workerd's output if it does not answer in time.
 */
export async function startWorkerd(opts: WorkerdOptions): Promise<Workerd> {
  const dir = mkdtempSync(join(tmpdir(), 'workerd-'));
  await build({
    entryPoints: [opts.entry],
    outfile: join(dir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser', 'import'],
    mainFields: ['module', 'main'],
    logLevel: 'error',
  });
  const port = await freePort();
  const flags = (opts.compatibilityFlags ?? []).map((f) => JSON.stringify(f)).join(', ');
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "${opts.compatibilityDate ?? '2026-11-01'}",
  compatibilityFlags = [${flags}],
);
`,
  );
  let out = '';
  const child = spawn(runtimeBin('workerd'), ['serve', join(dir, 'config.capnp'), '--verbose'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 15000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`workerd exited with ${child.exitCode} before answering:\n${out}`);
    }
    try {
      // Any answer (even a 500 from the worker) means the socket is up.
      await fetch(`${url}/__workerd_ready`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`workerd did not answer on ${url} within ${opts.startTimeoutMs ?? 15000} ms:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, output: () => out, stop };
}
