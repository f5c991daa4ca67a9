// The features server on Hono (@hono/node-server and the Fetch path): the same routes as express.ts and fastify.ts.
import * as orgHono from '@org/hono';
import { Hono } from 'hono';
import { never } from '../apps/shared.js';
import { ADMIN_FILTER, type FeatureOptions, FORM_PAGE } from './stack.js';

export function honoFeatures(o: FeatureOptions): Hono<orgHono.HardeningEnv> {
  const app = new Hono<orgHono.HardeningEnv>();
  app.use(orgHono.hardening(o));
  app.onError(orgHono.problemHandler({ logger: o.logger }));
  app.notFound(orgHono.notFoundHandler());
  app.get('/hello', (c) => c.json({ hello: 'world' }));
  app.get('/ip', (c) => c.json({ ip: c.get('clientIp') }));
  app.get('/form', (c) => c.html(FORM_PAGE));
  app.post('/submit', (c) => c.json({ submitted: true }));
  app.post('/hooks/in', (c) => c.json({ hooked: true }));
  app.get('/never', never);
  app.use('/admin/*', orgHono.ipFilter(ADMIN_FILTER, { logger: o.logger }));
  app.post('/admin/op', (c) => c.json({ admin: true }));
  return app;
}
