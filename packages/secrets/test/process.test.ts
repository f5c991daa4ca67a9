import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSecretVolume } from './k8s.js';

const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const OLD = 'db-pass-OLD-7f3a9c';
const NEW = 'db-pass-NEW-1e8b2d';
const TOKEN = 'tok_live_5c0ffee5ecret';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  waitFor(text: string, ms?: number): Promise<void>;
  exit(ms?: number): Promise<number | null>;
}

function start(dir: string, mode: 'rotate' | 'crash'): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, mode], {
    env: { ...process.env, API_TOKEN: TOKEN, DB_PASSWORD: 'env-value-must-not-win' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    waitFor(text, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no "${text}" within ${ms} ms\nstdout: ${out}\nstderr: ${err}`)),
          ms,
        );
        const check = (): void => {
          if (out.includes(text)) {
            clearTimeout(t);
            child.stdout!.off('data', check);
            resolve();
          }
        };
        child.stdout!.on('data', check);
        check();
      });
    },
    exit(ms = 15_000) {
      let t: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`child did not exit by itself within ${ms} ms\nstdout: ${out}`)), ms);
      });
      return Promise.race([exited, limit]).finally(() => clearTimeout(t));
    },
  };
}

describe('a real service process', () => {
  it('never prints a secret (loggers, console, inspect, errors), sees a volume rotation, exits by itself after close()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'org-secrets-proc-'));
    dirs.push(dir);
    await writeSecretVolume(dir, { DB_PASSWORD: OLD });
    const run = start(dir, 'rotate');
    await run.waitFor('ready');
    await writeSecretVolume(dir, { DB_PASSWORD: NEW });
    await run.waitFor(`rotated DB_PASSWORD from file:${dir}`);
    expect(await run.exit()).toBe(0);
    const all = run.out() + run.err();
    expect(run.out()).toContain('closed');
    for (const value of [OLD, NEW, TOKEN, 'env-value-must-not-win']) expect(all).not.toContain(value);
    // every way of printing went through: 20+ redactions, both loggers' lines are there
    expect(all.split('[REDACTED]').length - 1).toBeGreaterThan(20);
    expect(run.out()).toMatch(/"name":"app".*"db":"\[REDACTED\]"/);
    expect(run.out()).toMatch(/"name":"pino".*"db":"\[REDACTED\]"/);
    expect(run.out()).toContain('Secret(DB_PASSWORD) [REDACTED] Secret(API_TOKEN) [REDACTED]');
    expect(run.err()).toContain('connect failed for [REDACTED]');
  });

  it('an uncaught error carrying secrets is printed redacted as the process dies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'org-secrets-proc-'));
    dirs.push(dir);
    await writeSecretVolume(dir, { DB_PASSWORD: OLD });
    const run = start(dir, 'crash');
    expect(await run.exit()).toBe(1);
    expect(run.err()).toContain('fatal: could not authenticate with [REDACTED]');
    expect(run.err()).toContain('Secret(API_TOKEN) [REDACTED]');
    for (const value of [OLD, TOKEN]) expect(run.out() + run.err()).not.toContain(value);
  });
});
