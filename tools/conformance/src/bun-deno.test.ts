import { conformanceSuite } from './suite.js';

conformanceSuite([
  { app: 'hono-node', runtime: 'bun' },
  { app: 'hono-fetch', runtime: 'bun' },
  { app: 'hono-node', runtime: 'deno' },
  { app: 'hono-fetch', runtime: 'deno' },
]);
