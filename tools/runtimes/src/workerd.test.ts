import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startWorkerd } from './workerd.js';

const fixture = fileURLToPath(new URL('../test/worker-fixture.ts', import.meta.url));

describe('startWorkerd', () => {
  it('bundles a worker, serves it on loopback and stops', async () => {
    const w = await startWorkerd({ entry: fixture });
    try {
      const res = await fetch(`${w.url}/hello`);
      expect(res.status).toBe(200);
      // The answer comes from workerd itself, after a timer set inside the request fired.
      expect(await res.json()).toEqual({ path: '/hello', userAgent: 'Cloudflare-Workers' });
    } finally {
      await w.stop();
    }
    await expect(fetch(w.url, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
  }, 30_000);
});
