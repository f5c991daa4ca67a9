import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runtimeBin } from '@org/runtimes';
import { describe, expect, it } from 'vitest';

// httpCheck uses the runtime's own fetch, so it works where Node's undici is not there (Bun brings its own undici
// without `body.dump()`; Deno has none). The built package, run by each runtime against a real loopback server.
const fixture = fileURLToPath(new URL('./fixtures/http-check-runtime.mjs', import.meta.url));
const commands = {
  node: [process.execPath, [fixture]],
  bun: [runtimeBin('bun'), [fixture]],
  deno: [runtimeBin('deno'), ['run', '-A', '--no-lock', fixture]],
} as const;

describe('httpCheck on every runtime', () => {
  for (const [name, [cmd, args]] of Object.entries(commands)) {
    it(`passes on 2xx and fails on an unexpected status on ${name}`, () => {
      const out = execFileSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
      const doc = JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
      expect(doc.checks['up:ok'][0]).toMatchObject({ status: 'pass', observedUnit: 'ms' });
      expect(doc.checks['up:down'][0]).toMatchObject({ status: 'warn', output: 'unexpected status 500' });
      // An undici dispatcher only means something to Node's fetch: elsewhere it is refused, not ignored.
      expect(doc.dispatcher).toBe(
        name === 'node'
          ? 'accepted'
          : "httpCheck: dispatcher is an undici option of Node's fetch; this runtime's fetch cannot use it",
      );
    });
  }
});
