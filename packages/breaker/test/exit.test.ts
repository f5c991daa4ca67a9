import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/steady-state.mjs', import.meta.url));
const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Runs the fixture against `entry`; resolves with exit code, stdout, and ms from its last output to its exit. */
function runFixture(args: string[], entry: string) {
  return new Promise<{ code: number | null; out: string; err: string; lingerMs: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [...args, fixture, pathToFileURL(entry).href], { stdio: 'pipe' });
    children.push(child);
    let out = '';
    let err = '';
    let lastOutput = performance.now();
    child.stdout.on('data', (d) => {
      out += d;
      lastOutput = performance.now();
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    // Does-not-hang bound: a leaked 60 s timer (openMs, timeoutMs) would keep the child alive far longer.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit by itself within 10 s; stdout: ${out}`));
    }, 10_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, out, err, lingerMs: performance.now() - lastOutput });
    });
  });
}

describe('no timer in steady state', () => {
  it('a process using breakers and bulkheads exits by itself when its work is done (source)', async () => {
    const r = await runFixture(['--import', 'tsx'], src);
    expect(r.err).toBe('');
    expect(r.out).toBe('done open true live timers: 0\n');
    expect(r.code).toBe(0);
    expect(r.lingerMs).toBeLessThan(5_000);
  });

  it('same with the built ESM entry (built first if missing)', async () => {
    if (!existsSync(dist)) {
      const pkg = fileURLToPath(new URL('..', import.meta.url));
      execFileSync(fileURLToPath(new URL('../../../node_modules/.bin/tsup', import.meta.url)), { cwd: pkg });
    }
    const r = await runFixture([], dist);
    expect(r.out).toBe('done open true live timers: 0\n');
    expect(r.code).toBe(0);
  });
});
