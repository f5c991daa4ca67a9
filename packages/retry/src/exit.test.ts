import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('../test/fixtures/exit-fixture.ts', import.meta.url));

describe('process exit', () => {
  it('a process that used retry (sleeps, timeouts, aborts) exits as soon as its work is done', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let doneAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (doneAt === 0 && out.includes('done')) doneAt = performance.now();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 8_000); // a leaked 60 s timer would hang it: fail, not orphan
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const exitedAt = performance.now();
    clearTimeout(killer);
    expect(err).toBe('');
    expect(code).toBe(0); // null when the watchdog had to kill it
    expect(out.trim()).toBe('done timers=0');
    // "Exits at once": generous bound for a loaded 2-core machine; a leaked timer would mean 60 s.
    expect(exitedAt - doneAt).toBeLessThan(2_000);
  });
});
