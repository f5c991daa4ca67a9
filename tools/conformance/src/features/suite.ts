// The features scenarios against one target: its own server process, started with --features.
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { type RunningServer, startServer, type Target } from '../harness.js';
import { type Ctx, send } from '../scenarios.js';
import { closeBrowser, featureScenarios } from './scenarios.js';

export function featureSuite(target: Target): void {
  describe('features', () => {
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
      server = await startServer(target, ['--features']);
    }, 60_000);
    beforeEach(async () => {
      if (server?.exited() !== undefined) server = await startServer(target, ['--features']);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      await closeBrowser();
    });
    it.each(featureScenarios.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
      await s.run(ctx);
    });
  });
}
