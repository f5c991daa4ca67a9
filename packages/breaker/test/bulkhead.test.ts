import { describe, expect, it } from 'vitest';
import { BulkheadFullError, bulkhead, isBreakerError } from '../src/index.js';
import { deferred, settlesWithin } from './helpers.js';

describe('bulkhead', () => {
  it('validates its options, naming them', () => {
    expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(/maxConcurrent must be an integer >= 1, got 0/);
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: -1 })).toThrow(/maxQueue must be an integer >= 0 or Infinity/);
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: Number.POSITIVE_INFINITY })).not.toThrow();
  });

  it('runs at most maxConcurrent at once, queues FIFO, and rejects when the queue is full', async () => {
    const bh = bulkhead({ maxConcurrent: 2, maxQueue: 2 });
    const gates = [deferred<number>(), deferred<number>(), deferred<number>(), deferred<number>()];
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const task = (i: number) => async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      const v = await gates[i]!.promise;
      running--;
      return v;
    };
    const ps = [0, 1, 2, 3].map((i) => bh.execute(task(i)));
    expect(bh.stats()).toMatchObject({ active: 2, queued: 2 });
    const full = await bh.execute(async () => 'never').catch((e: unknown) => e);
    expect(full).toBeInstanceOf(BulkheadFullError);
    expect(isBreakerError(full)).toBe(true);
    expect(full).toMatchObject({ code: 'ERR_BULKHEAD_FULL', maxConcurrent: 2, maxQueue: 2 });
    gates[1]!.resolve(1);
    await ps[1];
    gates[0]!.resolve(0);
    gates[2]!.resolve(2);
    gates[3]!.resolve(3);
    expect(await Promise.all(ps)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
    expect(bh.stats()).toMatchObject({ active: 0, queued: 0, totalRejected: 1 });
  });

  it('an abort while queued rejects at once with the reason and frees the queue place', async () => {
    const bh = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred<string>();
    const first = bh.execute(() => gate.promise);
    const ac = new AbortController();
    let ran = false;
    const queued = bh.execute(async () => {
      ran = true;
    }, ac.signal);
    expect(bh.queued).toBe(1);
    ac.abort(new Error('user left'));
    await expect(settlesWithin(queued, 1000)).rejects.toThrow('user left');
    expect(bh.stats()).toMatchObject({ queued: 0, active: 1, totalAborted: 1 });
    const next = bh.execute(async () => 'next'); // the freed place is usable
    gate.resolve('first');
    expect(await first).toBe('first');
    expect(await next).toBe('next');
    expect(ran).toBe(false);
  });

  it('removes an aborted waiter from the middle of the queue and keeps the order of the rest', async () => {
    const bh = bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const gate = deferred<void>();
    const order: string[] = [];
    const first = bh.execute(() => gate.promise);
    const ac = new AbortController();
    const a = bh.execute(async () => order.push('a'));
    const b = bh.execute(async () => order.push('b'), ac.signal);
    const c = bh.execute(async () => order.push('c'));
    ac.abort();
    await expect(b).rejects.toThrow();
    gate.resolve();
    await Promise.all([first, a, c]);
    expect(order).toEqual(['a', 'c']);
  });

  it('passes the signal, rejects an already-aborted call without running it, and frees slots on sync throws', async () => {
    const bh = bulkhead({ maxConcurrent: 1 });
    const ac = new AbortController();
    expect(await bh.execute(async (s) => s === ac.signal, ac.signal)).toBe(true);
    ac.abort(new Error('late'));
    await expect(bh.execute(async () => 1, ac.signal)).rejects.toThrow('late');
    await expect(
      bh.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(bh.active).toBe(0);
    expect(await bh.execute(() => 5)).toBe(5);
  });

  it('hands a slot to the next waiter when a call rejects', async () => {
    const bh = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const gate = deferred<never>();
    const first = bh.execute(() => gate.promise);
    const second = bh.execute(async () => 'second');
    gate.reject(new Error('first failed'));
    await expect(first).rejects.toThrow('first failed');
    expect(await second).toBe('second');
  });
});
