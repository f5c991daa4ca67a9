// Ctrl+C on the demo, as a terminal delivers it: SIGINT to every process of the foreground group (the shells, pnpm,
// the demo), pnpm forwarding it again. The demo runs as plain `node dist/main.js` (built by `pnpm build`, which the
// root test command runs first). An in-flight request must finish, the demo must exit 0, pnpm must print no failure.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';

const DEMO_DIR = join(import.meta.dirname, '..');
const ROOT = join(DEMO_DIR, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'demo-signals-'));
const groups: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => {
  for (const p of groups) {
    try {
      process.kill(-(p.pid as number), 'SIGKILL');
    } catch {}
  }
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  proc: ChildProcess;
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts `cmd` in a process group of its own (like a terminal's foreground job) and waits for the demo's URL. */
async function start(cmd: string, args: string[], cwd: string): Promise<Started> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    UPSTREAM_CYCLE_MS: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
  };
  delete env.REDIS_URL;
  delete env.APP_KEK;
  const proc = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  groups.push(proc);
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) return { proc, base: m[1] as string, exited, output: () => out };
    if (proc.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`demo did not start within 60 s:\n${out}`);
    await sleep(50);
  }
}

/** A request that is still running when the signals arrive: /quote against the upstream switched to slow (2 s). */
async function slowRequest(base: string) {
  const client = new Client(base);
  const mode = await request(`${base}/admin/upstream?mode=slow`, { method: 'POST', dispatcher: client });
  await mode.body.dump();
  expect(mode.statusCode).toBe(200);
  const started = performance.now();
  const answer = request(`${base}/quote`, { dispatcher: client }).then(
    async (r) => ({ status: r.statusCode, ms: performance.now() - started, body: await r.body.text() }),
    (e: { code?: string; message?: string }) => ({
      status: 0,
      ms: performance.now() - started,
      body: `${e.code} ${e.message}`,
    }),
  );
  return { answer, close: () => client.close() };
}

const report = (output: string): Record<string, unknown> | undefined => {
  for (const line of output.split('\n')) {
    if (!line.includes('"shutdown complete"')) continue;
    return JSON.parse(line) as Record<string, unknown>;
  }
  return undefined;
};

const groupGone = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe('demo Ctrl+C', () => {
  it('is built to dist and runs under plain node', () => {
    expect(existsSync(join(DEMO_DIR, 'dist', 'main.js'))).toBe(true);
  });

  it('node dist/main.js: two SIGINTs 30 ms apart finish the in-flight request and exit 0', async () => {
    const demo = await start(process.execPath, ['dist/main.js'], DEMO_DIR);
    const slow = await slowRequest(demo.base);
    await sleep(200);
    process.kill(-(demo.proc.pid as number), 'SIGINT');
    await sleep(30);
    process.kill(-(demo.proc.pid as number), 'SIGINT');
    const answer = await slow.answer;
    expect(answer.status, answer.body).toBeGreaterThanOrEqual(200); // an HTTP answer, not a cut connection
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(report(demo.output())).toMatchObject({ reason: 'SIGINT', drained: true, abortedRequests: 0, exitCode: 0 });
    await slow.close();
  });

  it('node dist/main.js: a second Ctrl+C after the repeat window exits at once with 130', async () => {
    const demo = await start(process.execPath, ['dist/main.js'], DEMO_DIR);
    const slow = await slowRequest(demo.base);
    await sleep(200);
    process.kill(-(demo.proc.pid as number), 'SIGINT');
    await sleep(1300);
    process.kill(-(demo.proc.pid as number), 'SIGINT');
    expect(await demo.exited).toEqual({ code: 130, signal: null });
    await slow.answer;
    await slow.close();
  });

  it('npx pnpm demo (the README command) in a process group: Ctrl+C drains, exits 0, pnpm prints no failure', {
    timeout: 120_000,
  }, async () => {
    const demo = await start('npx', ['-y', 'pnpm@10.34.8', 'demo'], ROOT);
    const slow = await slowRequest(demo.base);
    await sleep(200);
    process.kill(-(demo.proc.pid as number), 'SIGINT'); // what the terminal does on Ctrl+C
    const answer = await slow.answer;
    expect(answer.status, answer.body).toBeGreaterThanOrEqual(200);
    await demo.exited; // npx re-raises the SIGINT it got once its child has exited: that is npm's convention
    const out = demo.output();
    expect(report(out)).toMatchObject({ reason: 'SIGINT', drained: true, exitCode: 0 });
    expect(out).not.toMatch(/ELIFECYCLE|ERR_PNPM|Command failed|exit code/i);
    for (let i = 0; i < 50 && !groupGone(demo.proc.pid as number); i++) await sleep(100);
    expect(groupGone(demo.proc.pid as number)).toBe(true); // nothing of the process group is left running
    await slow.close();
  });
});
