// The features server on Express (4 or 5): the same routes as fastify.ts and hono.ts.
import * as orgExpress from '@org/express';
import type { ExpressModule } from '../apps/express.js';
import { never } from '../apps/shared.js';
import { ADMIN_FILTER, type FeatureOptions, FORM_PAGE } from './stack.js';

export function expressFeatures(express: ExpressModule, o: FeatureOptions): import('express').Express {
  const app = express();
  const h = orgExpress.hardening(o);
  app.use(h);
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.get('/ip', (_req, res) => {
    res.json({ ip: res.locals.clientIp });
  });
  app.get('/form', (_req, res) => {
    res.type('html').send(FORM_PAGE);
  });
  app.post('/submit', (_req, res) => {
    res.json({ submitted: true });
  });
  app.post('/hooks/in', (_req, res) => {
    res.json({ hooked: true });
  });
  app.get('/never', never);
  app.post('/admin/op', h.ipFilter(ADMIN_FILTER), (_req, res) => {
    res.json({ admin: true });
  });
  app.use(h.notFound);
  app.use(h.errorHandler);
  return app;
}
