import { conformanceSuite } from './suite.js';

conformanceSuite([
  { app: 'express', runtime: 'node24' },
  { app: 'express4', runtime: 'node24' },
  { app: 'fastify', runtime: 'node24' },
  { app: 'hono-node', runtime: 'node24' },
  { app: 'hono-fetch', runtime: 'node24' },
]);
