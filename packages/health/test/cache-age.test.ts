import { describe, expect, it } from 'vitest';
import { createHealth } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A dependency that hangs: every run times out. Its timed-out result must be reused like any other result, for
// cacheMs from the moment it was recorded — not from the moment the run started, which is already timeoutMs old.
describe('a timed-out result is cached like any other', () => {
  it('counts the cache age from when the result was recorded (injected clock)', async () => {
    let now = 1_000_000;
    const h = createHealth({ timeoutMs: 20, cacheMs: 1000, clock: () => now });
    let runs = 0;
    h.check({
      name: 'dep:hang',
      run: () => {
        runs++;
        return new Promise(() => {});
      },
    });
    const first = h.readiness({ verbose: true });
    now += 1000; // the run takes its whole timeout on the clock
    const r1 = await first;
    expect(r1.json.checks?.['dep:hang']?.[0]).toMatchObject({ status: 'fail', output: 'timed out after 20 ms' });
    expect(r1.json.checks?.['dep:hang']?.[0]?.time).toBe(new Date(1_000_000).toISOString()); // when it was taken
    now += 999;
    const r2 = await h.readiness({ verbose: true });
    expect(runs).toBe(1); // 999 ms after it was recorded: reused
    expect(r2.json.checks?.['dep:hang']?.[0]).toBe(r1.json.checks?.['dep:hang']?.[0]);
    now += 1;
    await h.readiness();
    expect(runs).toBe(2); // 1000 ms after: a new run
  });

  it('with the defaults (timeoutMs = cacheMs = 1000), probes every 50 ms do not start a run per probe', {
    timeout: 15_000,
  }, async () => {
    const h = createHealth();
    let runs = 0;
    h.check({
      name: 'dep:hang',
      run: () => {
        runs++;
        return new Promise(() => {});
      },
    });
    let probes = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 2500) {
      const r = await Promise.race([h.readiness(), sleep(50).then(() => null)]);
      if (r !== null) expect(r.httpStatus).toBe(503);
      probes++;
      await sleep(50);
    }
    const elapsed = Date.now() - t0;
    h.close();
    // Each run lives timeoutMs, then its result is reused for cacheMs: at most one run per 2 s (load only lowers it).
    expect(runs).toBeLessThanOrEqual(Math.floor(elapsed / 1990) + 1);
    expect(runs).toBeGreaterThanOrEqual(1);
    console.log(`[health] hung dependency, defaults: ${runs} runs for ${probes} probes in ${elapsed} ms`);
  });
});
