import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from './index.js';
import { pendingAbortCallbacks } from './internal/abort.js';

const activeTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const t0 = performance.now();
    await sleep(30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('zero, negative and NaN resolve without a timer', async () => {
    const before = activeTimers();
    const ps = [sleep(0), sleep(-5), sleep(Number.NaN)];
    expect(activeTimers()).toBe(before);
    await Promise.all(ps);
  });

  it('rejects with the reason when aborted, and clears the timer', async () => {
    const before = activeTimers();
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    expect(activeTimers()).toBe(before + 1);
    ac.abort(new Error('bye'));
    await expect(p).rejects.toThrow('bye');
    expect(activeTimers()).toBe(before);
  });

  it('rejects at once on an already-aborted signal', async () => {
    await expect(sleep(60_000, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('clamps delays beyond 2^31-1 instead of firing at once (setTimeout overflow)', async () => {
    const ac = new AbortController();
    let fired = false;
    const p = sleep(1e12, ac.signal).then(() => {
      fired = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(false);
    ac.abort();
    await p.catch(() => undefined);
    expect(fired).toBe(false);
  });

  it('a long-lived signal carries one listener however many sleeps used it; settled sleeps leave no callback', async () => {
    const ac = new AbortController();
    const p = sleep(1, ac.signal);
    expect(pendingAbortCallbacks(ac.signal)).toBe(1);
    await p;
    expect(pendingAbortCallbacks(ac.signal)).toBe(0);
    for (let i = 0; i < 20; i++) await sleep(1, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    expect(pendingAbortCallbacks(ac.signal)).toBe(0);
  });

  it('one abort settles every sleep waiting on the signal', async () => {
    const ac = new AbortController();
    const ps = Array.from({ length: 5 }, () => sleep(60_000, ac.signal));
    ac.abort(new Error('all'));
    const rs = await Promise.allSettled(ps);
    expect(rs.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    expect(pendingAbortCallbacks(ac.signal)).toBe(0);
  });
});
