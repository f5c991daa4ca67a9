/**
 * The default clock is monotonic: maxElapsedMs holds while the wall clock steps back (NTP, a VM resumed), where a
 * Date.now-based elapsed time would go negative and retry forever.
 */
import { describe, expect, it } from 'vitest';
import { retry } from './index.js';

describe('the default clock ignores wall-clock steps', () => {
  it('maxElapsedMs gives up while Date.now keeps stepping back', async () => {
    const real = Date.now;
    let reads = 0;
    // every read is a second earlier than the one before
    Date.now = () => real() - 1_000 * ++reads;
    const boom = new Error('down');
    let attempts = 0;
    try {
      const p = retry(
        async () => {
          attempts++;
          throw boom;
        },
        {
          attempts: Number.POSITIVE_INFINITY,
          maxElapsedMs: 60,
          backoff: { type: 'constant', initialMs: 5, jitter: 'none' },
        },
      );
      const bound = new Promise((_, rej) =>
        setTimeout(() => rej(new Error('still retrying after 10 s')), 10_000).unref(),
      );
      await expect(Promise.race([p, bound])).rejects.toBe(boom);
    } finally {
      Date.now = real;
    }
    expect(attempts).toBeGreaterThan(1);
  });
});
