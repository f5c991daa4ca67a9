// Runs every scenario against a list of targets (app × runtime), each server in its own process.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { featureSuite } from './features/suite.js';
import { type RunningServer, startServer, type Target, targetName } from './harness.js';
import { type Ctx, defects, scenarios, send } from './scenarios.js';
import { validationScenarios } from './validation-scenarios.js';

const RUNTIME_PREFIX: Record<Target['runtime'], string> = {
  node20: 'node v20.',
  node22: 'node v22.',
  node24: 'node v24.',
  bun: 'bun ',
  deno: 'deno ',
};

export function conformanceSuite(targets: readonly Target[]): void {
  describe.each(targets.map((t) => [targetName(t), t] as const))('%s', (_name, target) => {
    let server: RunningServer | undefined;
    const ctx: Ctx = {
      target,
      get url() {
        return server!.url;
      },
      req: (path, o) => send(server!.url, path, o),
      logs: () => server!.logs(),
      exited: () => server!.exited(),
    };
    beforeAll(async () => {
      server = await startServer(target);
    }, 60_000);
    // a scenario that killed the server fails on its own; the next one gets a fresh server
    beforeEach(async () => {
      if (server?.exited() !== undefined) server = await startServer(target);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('runs on the runtime it names', () => {
      expect(server!.runtime.startsWith(RUNTIME_PREFIX[target.runtime]), server!.runtime).toBe(true);
    });
    it.each([...scenarios, ...defects, ...validationScenarios].map((s) => [s.name, s] as const))(
      '%s',
      async (_n, s) => {
        await s.run(ctx);
      },
    );
    featureSuite(target);
  });
}
