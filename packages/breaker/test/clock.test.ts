/**
 * The default clock is monotonic: a wall-clock step (NTP, a VM resumed, an operator) neither keeps a circuit open nor
 * closes it early. Snapshots carry wall-clock time so they cross processes (each has its own monotonic origin), and
 * restore() refuses an openUntil further ahead than the options allow.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BREAKER_DEFAULTS, type BreakerSnapshot, circuitBreaker } from '../src/index.js';
import { fails, manualClock, ok } from './helpers.js';

const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` while the wall clock (Date.now) reads `offsetMs` away from the real one, as after a system clock step. */
async function withWallClockStep<T>(offsetMs: number, fn: () => Promise<T> | T): Promise<T> {
  const real = Date.now;
  Date.now = () => real() + offsetMs;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}

describe('the default clock is monotonic', () => {
  it('a wall-clock step back of an hour while open does not keep the circuit open', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 30 });
    await expect(b.execute(fails)).rejects.toThrow('boom');
    expect(b.state).toBe('open');
    await withWallClockStep(-HOUR, async () => {
      expect(b.stats().retryAfterMs).toBeLessThanOrEqual(30);
      await sleep(80); // past openMs on any clock that moves forward with real time
      expect(b.state).toBe('half-open');
      expect(await b.tryExecute(ok)).toEqual({ ok: true, value: 'ok' });
      expect(b.state).toBe('closed');
    });
  });

  it('a wall-clock step forward does not close the circuit early', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 60_000 });
    await expect(b.execute(fails)).rejects.toThrow('boom');
    await withWallClockStep(HOUR, () => {
      expect(b.state).toBe('open');
      expect(b.stats().retryAfterMs).toBeGreaterThan(59_000);
    });
  });

  it('BREAKER_DEFAULTS.clock does not read the wall clock', async () => {
    const a = BREAKER_DEFAULTS.clock();
    const b = await withWallClockStep(-HOUR, () => BREAKER_DEFAULTS.clock());
    expect(b).toBeGreaterThanOrEqual(a);
    expect(b - a).toBeLessThan(HOUR);
  });
});

describe('restore() and the open duration the options allow', () => {
  const wall = manualClock(1_700_000_000_000);
  const snap = (openUntil: number, consecutiveOpens = 1): BreakerSnapshot => ({
    version: 1,
    state: 'open',
    openUntil,
    consecutiveOpens,
    consecutiveFailures: 0,
  });

  it('rejects an openUntil further ahead than openMs, naming the bound', () => {
    const b = circuitBreaker({ openMs: 10_000, wallClock: wall.fn });
    expect(() => b.restore(snap(wall.now + HOUR))).toThrow(
      /restore\(\): openUntil is 3600000 ms ahead, beyond the 10000 ms open duration the options allow/,
    );
    expect(b.state).toBe('closed');
    b.restore(snap(wall.now + 10_000));
    expect(b.state).toBe('open');
    expect(b.stats().retryAfterMs).toBeLessThanOrEqual(10_000);
  });

  it("with an open backoff, the bound is the duration of the snapshot's open count", () => {
    const b = circuitBreaker({ openMs: { initialMs: 100, maxMs: 1_000 }, wallClock: wall.fn });
    expect(() => b.restore(snap(wall.now + 201, 2))).toThrow(/beyond the 200 ms open duration/);
    b.restore(snap(wall.now + 200, 2));
    expect(b.state).toBe('open');
    // a large open count cannot lift the bound past maxMs
    expect(() => b.restore(snap(wall.now + 1_001, 50))).toThrow(/beyond the 1000 ms open duration/);
    expect(() => b.restore(snap(Number.POSITIVE_INFINITY, 1))).toThrow(/openUntil/);
  });

  it('an openUntil in the past restores as open with nothing left to wait', () => {
    const b = circuitBreaker({ openMs: 10_000, wallClock: wall.fn });
    b.restore(snap(wall.now - HOUR));
    expect(b.state).toBe('half-open');
  });

  it('toJSON() writes wall-clock time: the snapshot does not depend on the monotonic clock origin', async () => {
    const mono = manualClock(5); // a process that started 5 ms ago
    const a = circuitBreaker({ consecutiveFailures: 1, openMs: 10_000, clock: mono.fn, wallClock: wall.fn });
    await expect(a.execute(fails)).rejects.toThrow('boom');
    mono.advance(4_000);
    wall.advance(4_000);
    expect(a.toJSON()).toEqual(snap(wall.now + 6_000));
    const mono2 = manualClock(987_654_321); // another process, up for 11 days
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 10_000, clock: mono2.fn, wallClock: wall.fn });
    b.restore(JSON.parse(JSON.stringify(a)));
    expect(b.stats().retryAfterMs).toBe(6_000);
    mono2.advance(6_000);
    expect(b.state).toBe('half-open');
  });
});

describe('a snapshot crosses processes', () => {
  const fixture = fileURLToPath(new URL('./fixtures/restore-snapshot.mjs', import.meta.url));
  const src = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href;

  function inChild(
    snapshot: BreakerSnapshot,
    opts: object,
  ): Promise<{ state: string; retryAfterMs: number; snapshot: BreakerSnapshot; uptimeMs: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fixture, src, JSON.stringify(snapshot), JSON.stringify(opts)],
        {
          stdio: 'pipe',
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child did not exit within 15 s: ${out} ${err}`));
      }, 15_000);
      child.on('exit', (code) => {
        clearTimeout(guard);
        if (code !== 0) reject(new Error(`child exited with ${code}: ${err}`));
        else resolve(JSON.parse(out));
      });
    });
  }

  it('an open circuit snapshotted here is open in a fresh process, for at most the time left', async () => {
    const opts = { consecutiveFailures: 1, openMs: 60_000 };
    const a = circuitBreaker(opts);
    await expect(a.execute(fails)).rejects.toThrow('boom');
    const snapshot = JSON.parse(JSON.stringify(a)) as BreakerSnapshot;
    const r = await inChild(snapshot, opts);
    expect(r.state).toBe('open');
    expect(r.retryAfterMs).toBeGreaterThan(0);
    expect(r.retryAfterMs).toBeLessThanOrEqual(60_000);
    // this process has run far longer than the child: their monotonic clocks share no origin
    expect(performance.now()).toBeGreaterThan(r.uptimeMs);
    // the child's own snapshot names the same wall-clock instant (up to the clocks' drift over the round trip)
    expect(Math.abs(r.snapshot.openUntil - snapshot.openUntil)).toBeLessThan(1_000);
  });

  it('the child refuses a snapshot whose open time its own options do not allow', async () => {
    const a = circuitBreaker({ consecutiveFailures: 1, openMs: 60_000 });
    await expect(a.execute(fails)).rejects.toThrow('boom');
    await expect(inChild(a.toJSON(), { openMs: 1_000 })).rejects.toThrow(/beyond the 1000 ms open duration/);
  });
});
