// Starts one conformance server in its own process on a given runtime and watches it: its port, its log lines (JSON
// on stdout), whether it is still alive. The scenarios talk to it over real loopback sockets from the test process.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type RuntimeName, runtimeBin } from '@org/runtimes';

/** One app on one runtime. */
export interface Target {
  /** `express` (5), `express4`, `fastify`, `hono-node` (@hono/node-server) or `hono-fetch` (the Fetch path). */
  app: 'express' | 'express4' | 'fastify' | 'hono-node' | 'hono-fetch';
  runtime: Exclude<RuntimeName, 'workerd' | 'node22-11'>;
}

export const targetName = (t: Target): string => `${t.app} on ${t.runtime}`;

/** A log record the server printed. */
export type LogRecord = Record<string, unknown>;

export interface RunningServer {
  url: string;
  port: number;
  /** What the server says it runs on, e.g. `node v24.22.3`. */
  runtime: string;
  child: ChildProcess;
  /** Log records printed so far. */
  logs(): LogRecord[];
  /** Everything the process printed that is not a log record (stderr included), for failure messages. */
  output(): string;
  /** Undefined while running, else how it ended. */
  exited(): string | undefined;
  /** Resolves once the process has exited (with its code and signal). */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const serveFile = fileURLToPath(new URL('./serve.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

function command(t: Target, flags: string[]): [string, string[]] {
  const bin = runtimeBin(t.runtime);
  if (t.runtime === 'bun') return [bin, [serveFile, t.app, ...flags]];
  if (t.runtime === 'deno') return [bin, ['run', '-A', '--quiet', serveFile, t.app, ...flags]];
  return [bin, ['--import', tsx, serveFile, t.app, ...flags]];
}

/** Whether any process of the group `pgid` is still running. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the server of `t` and waits until it listens (at most `startMs`). */
export async function startServer(t: Target, flags: string[] = [], startMs = 30_000): Promise<RunningServer> {
  const [bin, args] = command(t, flags);
  // its own process group, so stop() ends the whole tree: Deno's npm command is a shell shim running a Node wrapper
  // running deno, and a signal to the shim alone left the wrapper and the server running after the tests
  const group = process.platform !== 'win32';
  const child = spawn(bin, args, {
    cwd: here,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' },
    detached: group,
  });
  const records: LogRecord[] = [];
  let out = '';
  let pending = '';
  let ended: string | undefined;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = `exited with code ${code} signal ${signal}`;
      resolve({ code, signal });
    });
  });
  let onReady: ((info: { port: number; runtime: string }) => void) | undefined;
  const ready = new Promise<{ port: number; runtime: string }>((resolve) => {
    onReady = resolve;
  });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    pending += d;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      if (line.startsWith('{')) {
        try {
          records.push(JSON.parse(line) as LogRecord);
          continue;
        } catch {}
      }
      if (line.startsWith('READY ')) onReady?.(JSON.parse(line.slice(6)) as { port: number; runtime: string });
      out += `${line}\n`;
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    out += d;
  });
  const stop = async (): Promise<void> => {
    if (ended === undefined) {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exit;
    }
    // nothing of the server may outlive it: every process of its group is gone (signal 0 only checks)
    if (group && child.pid !== undefined) {
      for (let i = 0; i < 40 && groupAlive(child.pid); i++) await new Promise((r) => setTimeout(r, 50));
      if (groupAlive(child.pid)) throw new Error(`${targetName(t)}: processes of the server outlived it`);
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const info = await Promise.race([
      ready,
      exit.then(() => {
        throw new Error(`${targetName(t)}: server ${ended} before listening:\n${out}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${targetName(t)}: server did not listen within ${startMs} ms:\n${out}`)),
          startMs,
        );
      }),
    ]);
    return {
      url: `http://127.0.0.1:${info.port}`,
      port: info.port,
      runtime: info.runtime,
      child,
      logs: () => records,
      output: () => out,
      exited: () => ended,
      exit,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
