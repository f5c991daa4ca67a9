import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHealth } from '../src/index.js';
import { cgroupCpuQuota } from '../src/internal/cgroup.js';
import { cpuCheck, diskSpaceCheck } from '../src/node.js';
import { draftViolations } from './draft-shape.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'health-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const probe = async (check: Parameters<ReturnType<typeof createHealth>['check']>[0]) => {
  const h = createHealth({ cacheMs: 0 });
  h.check(check);
  const r = await h.readiness({ verbose: true });
  expect(draftViolations(r.json)).toEqual([]);
  h.close();
  return { status: r.status, httpStatus: r.httpStatus, result: r.json.checks?.[check.name]?.[0] };
};

/** What `df` says about the file system holding `path`: available bytes and its Use%. */
const df = (path: string) => {
  const [, line] = execFileSync('df', ['-B1', '--output=used,avail', path], { encoding: 'utf8' }).trim().split('\n');
  const [used, avail] = (line ?? '').trim().split(/\s+/).map(Number) as [number, number];
  return { avail, freeShare: (avail / (used + avail)) * 100 };
};

describe('diskSpaceCheck on the real file system', () => {
  it('reports the bytes df calls available, and its free share', async () => {
    const before = df(dir);
    const { result } = await probe(diskSpaceCheck({ path: dir, warnBelowPercent: 0, failBelowPercent: 0 }));
    const after = df(dir);
    expect(result).toMatchObject({ status: 'pass', componentType: 'system', observedUnit: 'bytes' });
    // other jobs write to this disk meanwhile: within what changed between the two df calls, plus 64 MiB
    const slack = Math.abs(after.avail - before.avail) + 64 * 1024 ** 2;
    expect(Math.abs((result?.observedValue as number) - before.avail)).toBeLessThanOrEqual(slack);
    const share = Number(/\(([\d.]+)%\)/.exec(result?.output ?? '')?.[1]);
    expect(Math.abs(share - before.freeShare)).toBeLessThan(0.5);
    expect(result?.output).toMatch(/^[\d.]+ [KMGTP]?i?B free \([\d.]+%\)$/);
  });

  it('warns and fails below the byte and percent thresholds', async () => {
    const { avail } = df(dir);
    const above = avail * 4; // more than is free, whatever happens on the disk meanwhile
    expect(
      (await probe(diskSpaceCheck({ path: dir, warnBelowPercent: 0, failBelowPercent: 0, failBelowBytes: above })))
        .result?.status,
    ).toBe('fail');
    expect(
      (await probe(diskSpaceCheck({ path: dir, warnBelowPercent: 0, failBelowPercent: 0, warnBelowBytes: above })))
        .result?.status,
    ).toBe('warn');
    expect((await probe(diskSpaceCheck({ path: dir, warnBelowPercent: 100, failBelowPercent: 100 }))).httpStatus).toBe(
      503,
    );
    const warned = await probe(diskSpaceCheck({ path: dir, warnBelowPercent: 100, failBelowPercent: 0 }));
    expect([warned.result?.status, warned.httpStatus]).toEqual(['warn', 200]);
    expect(
      (await probe(diskSpaceCheck({ path: dir, critical: false, failBelowBytes: above, warnBelowBytes: above }))).result
        ?.status,
    ).toBe('warn');
  });

  it('fails with the file system error for a path that does not exist', async () => {
    const { result, httpStatus } = await probe(diskSpaceCheck({ path: join(dir, 'missing', 'x') }));
    expect(httpStatus).toBe(503);
    expect(result?.output).toMatch(/ENOENT/);
  });

  it('rejects bad options naming them', () => {
    expect(() => diskSpaceCheck({ path: '' })).toThrow('diskSpaceCheck: path must be a non-empty string, got ""');
    expect(() => diskSpaceCheck({ warnBelowPercent: 101 })).toThrow(
      'diskSpaceCheck: warnBelowPercent must be a number in 0..100, got 101',
    );
    expect(() => diskSpaceCheck({ warnBelowPercent: 5, failBelowPercent: 10 })).toThrow(
      'diskSpaceCheck: failBelowPercent (10) must not exceed warnBelowPercent (5)',
    );
    expect(() => diskSpaceCheck({ warnBelowBytes: 10, failBelowBytes: 20 })).toThrow(
      /failBelowBytes \(20\) must not exceed/,
    );
    expect(() => diskSpaceCheck({ failBelowBytes: -1 })).toThrow(/failBelowBytes must be a finite number >= 0/);
    expect(() => diskSpaceCheck(null as never)).toThrow(/options must be an object/);
    expect(diskSpaceCheck()).toMatchObject({ name: 'disk:free', probes: ['readiness'], componentType: 'system' });
  });
});

describe('cpuCheck with real CPU load', () => {
  it('measures this process: what process.cpuUsage() says over the window, high while it spins', async () => {
    const check = cpuCheck({ cores: 1, windowMs: 0 });
    const run = () => check.run(new AbortController().signal) as { observedValue: number; output: string };
    run();
    const u0 = process.cpuUsage();
    const w0 = performance.now();
    while (performance.now() - w0 < 300) {} // one CPU busy, as far as the scheduler lets it
    const busy = run();
    const u1 = process.cpuUsage(u0);
    const expected = ((u1.user + u1.system) / 1000 / (performance.now() - w0)) * 100;
    await sleep(300);
    const idle = run();
    // other jobs share these CPUs, so no absolute figure: the reading matches the process's own accounting
    expect(Math.abs(busy.observedValue - expected)).toBeLessThan(10);
    expect(idle.observedValue).toBeLessThan(busy.observedValue);
    expect(busy.output).toMatch(/^[\d.]+% of 1 CPU$/);
    console.log(`[health] cpuCheck process: ${busy.observedValue}% spinning, ${idle.observedValue}% sleeping`);
  });

  it('measures the whole machine with system: a spinning child process shows', async () => {
    const check = cpuCheck({ measure: 'system', windowMs: 0 });
    const run = () => check.run(new AbortController().signal) as { observedValue: number; output: string };
    const child = spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 1500) {}']);
    try {
      await sleep(100);
      run();
      await sleep(500);
      const r = run();
      // at least the child's one CPU out of all of them, with room for scheduling
      expect(r.observedValue).toBeGreaterThan((100 / cpus().length) * 0.6);
      expect(r.output).toMatch(new RegExp(`^[\\d.]+% of ${cpus().length} CPUs, system-wide$`));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('repeats the last reading within windowMs, warns and fails above its thresholds', async () => {
    const check = cpuCheck({ cores: 0.001, windowMs: 60_000, warnAbovePercent: 1, failAbovePercent: 2 });
    const t0 = performance.now();
    while (performance.now() - t0 < 20) {}
    const { result } = await probe(check);
    expect(result).toMatchObject({ status: 'fail', observedUnit: 'percent', componentType: 'system' });
    const again = check.run(new AbortController().signal) as { observedValue: number };
    expect(again.observedValue).toBe(result?.observedValue);
    const warnOnly = cpuCheck({ cores: 0.001, windowMs: 0, warnAbovePercent: 1 });
    while (performance.now() - t0 < 40) {}
    expect((await probe(warnOnly)).result?.status).toBe('warn'); // never fails by default
    expect(cpuCheck()).toMatchObject({ name: 'cpu:utilization', probes: ['readiness'] });
  });

  it('rejects bad options naming them', () => {
    expect(() => cpuCheck({ measure: 'host' as never })).toThrow(
      `cpuCheck: measure must be 'process' or 'system', got "host"`,
    );
    expect(() => cpuCheck({ cores: 0 })).toThrow('cpuCheck: cores must be a finite number > 0, got 0');
    expect(() => cpuCheck({ warnAbovePercent: 80, failAbovePercent: 50 })).toThrow(
      'cpuCheck: warnAbovePercent (80) must not exceed failAbovePercent (50)',
    );
    expect(() => cpuCheck({ windowMs: -1 })).toThrow(/windowMs must be a finite number >= 0/);
  });
});

describe('the container CPU limit, read from cgroup files', () => {
  const tree = (files: Record<string, string>): string => {
    const root = mkdtempSync(join(dir, 'cg-'));
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), text);
    }
    return root;
  };

  it('reads cgroup v2 cpu.max in the process cgroup, then at the root', () => {
    expect(cgroupCpuQuota(tree({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '50000 100000\n' }))).toBe(0.5);
    expect(
      cgroupCpuQuota(tree({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': 'max 100000\n' })),
    ).toBeUndefined();
    const nested = tree({
      'proc/self/cgroup': '0::/kubepods/pod1/c1\n',
      'sys/fs/cgroup/kubepods/pod1/c1/cpu.max': '250000 100000\n',
      'sys/fs/cgroup/cpu.max': 'max 100000\n',
    });
    expect(cgroupCpuQuota(nested)).toBe(2.5);
  });

  it('reads cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us', () => {
    const v1 = (quota: string) =>
      tree({
        'proc/self/cgroup': '4:memory:/x\n2:cpu,cpuacct:/\n',
        'sys/fs/cgroup/cpu/cpu.cfs_quota_us': quota,
        'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
      });
    expect(cgroupCpuQuota(v1('150000\n'))).toBe(1.5);
    expect(cgroupCpuQuota(v1('-1\n'))).toBeUndefined();
    expect(cgroupCpuQuota(tree({}))).toBeUndefined(); // no cgroup file system (macOS, Windows)
  });
});
