import { conformanceSuite } from './suite.js';

conformanceSuite([
  { app: 'express', runtime: 'node22' },
  { app: 'express4', runtime: 'node22' },
  { app: 'fastify', runtime: 'node22' },
  { app: 'hono-node', runtime: 'node22' },
  { app: 'hono-fetch', runtime: 'node22' },
]);
