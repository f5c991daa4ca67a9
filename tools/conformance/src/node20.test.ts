import { conformanceSuite } from './suite.js';

conformanceSuite([
  { app: 'express', runtime: 'node20' },
  { app: 'express4', runtime: 'node20' },
  { app: 'fastify', runtime: 'node20' },
  { app: 'hono-node', runtime: 'node20' },
  { app: 'hono-fetch', runtime: 'node20' },
]);
