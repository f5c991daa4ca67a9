// Child processes with a bounded lifetime: every run has a timeout, after which the whole process group is killed,
// so a hung runtime never hangs the matrix and nothing is left behind.
import { type ChildProcess, spawn } from 'node:child_process';

/** How a process ended. */
export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** Options of {@link runProc}. */
export interface ProcOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  input?: string;
}

/** Kills a detached child's whole group: SIGTERM, then SIGKILL after `graceMs`. */
export function killGroup(child: ChildProcess, graceMs = 2000): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), graceMs).unref();
}

/** Runs a command to completion (or until `timeoutMs`, then kills its group). Never rejects for a non-zero exit. */
export function runProc(cmd: string, args: readonly string[], opts: ProcOptions): Promise<ProcResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Math.round(performance.now() - t0) });
    });
  });
}

/** The last `n` lines of a process's output, for failure messages. */
export function tail(r: Pick<ProcResult, 'stdout' | 'stderr'>, n = 25): string {
  return `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-n).join('\n');
}
