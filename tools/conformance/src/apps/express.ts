// The Express conformance app. The same function builds it on Express 5 and on Express 4 (handed in as `express`).
import * as orgExpress from '@org/express';
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps, StackOptions } from '../stack.js';
import { LATE_MS } from '../stack.js';
import { HttpError, never, OWN_CSP, ROUTE_HEADERS, SECRET_MESSAGE, THROWN, wait } from './shared.js';
import { ASYNC_BODY, LIBRARIES, THROWING, VALIDATORS } from './validation.js';

/** The parts of an Express module (4 or 5) the app uses. */
export interface ExpressModule {
  (): import('express').Express;
  json(): (req: Request, res: Response, next: NextFunction) => void;
}

/** Runs an async route and hands its rejection to Express (Express 4 does not catch rejections itself). */
const a =
  (fn: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

export function expressApp(express: ExpressModule, stack: StackOptions, deps: AppDeps): import('express').Express {
  const app = express();
  const h = orgExpress.hardening(stack);
  app.use(h);
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.get('/vary', (_req, res) => {
    res.setHeader('vary', 'Accept-Encoding');
    res.json({ ok: true });
  });
  app.get('/own', (_req, res) => {
    res.setHeader('content-security-policy', OWN_CSP);
    res.json({ ok: true });
  });
  app.get('/precedence', (_req, res) => {
    for (const [k, v] of Object.entries(ROUTE_HEADERS)) res.setHeader(k, v);
    res.json({ ok: true });
  });
  // the route's headers passed to writeHead itself (the head hook must see them: Vary merged, removals hold)
  app.get('/precedence-passed', (_req, res) => {
    res.writeHead(200, { ...ROUTE_HEADERS, 'content-type': 'application/json' }).end('{"ok":true}');
  });
  app.get('/id', (_req, res) => {
    res.json({ requestId: res.locals.requestId });
  });
  app.get('/nonce', (_req, res) => {
    res.json({ nonce: res.locals.cspNonce });
  });
  app.get('/ip', (_req, res) => {
    res.json({ ip: res.locals.clientIp });
  });
  app.post(
    '/echo',
    a(async (req, res) => {
      let bytes = 0;
      for await (const chunk of req) bytes += (chunk as Uint8Array).length;
      res.json({ bytes });
    }),
  );
  app.post('/ignore', (_req, res) => {
    res.json({ ignored: true });
  });
  app.post('/json', express.json(), (req, res) => {
    res.json({ keys: Object.keys((req.body as object | undefined) ?? {}) });
  });
  for (const lib of LIBRARIES)
    app.post(`/valid/${lib}/:id`, express.json(), orgExpress.validate(VALIDATORS[lib]), (_req, res) => {
      res.json(res.locals.valid);
    });
  app.post('/valid-async', express.json(), orgExpress.validate({ body: ASYNC_BODY }), (_req, res) => {
    res.json(res.locals.valid);
  });
  app.post('/valid-throws', express.json(), orgExpress.validate({ body: THROWING }), (_req, res) => {
    res.json({ reached: true });
  });
  app.all('/never', a(never));
  app.get(
    '/slow',
    a(async (_req, res) => {
      await wait(deps.slowMs, res.locals.signal);
      if (!res.headersSent) res.json({ late: true });
    }),
  );
  app.get(
    '/work',
    a(async (_req, res) => {
      await wait(deps.workMs);
      res.json({ done: true });
    }),
  );
  // callback style: answers after the timeout has answered, from a timer the framework knows nothing about
  app.get('/late/:kind', (req, res) => {
    setTimeout(() => {
      const kind = req.params.kind;
      if (kind === 'json') res.json({ late: true });
      else if (kind === 'send') res.send('late');
      else if (kind === 'sendStatus') res.sendStatus(200);
      else if (kind === 'setHeader') res.setHeader('x-late', '1');
      else if (kind === 'write') res.write('late');
      else res.end('late');
    }, LATE_MS);
  });
  // an async handler whose late answer is not caught by anyone (Express 4 does not catch rejections)
  app.get('/late-async', async (_req, res) => {
    await wait(LATE_MS);
    res.json({ late: true });
  });
  app.get('/boom', () => {
    throw new Error(SECRET_MESSAGE);
  });
  app.get('/throw/:what', (req) => {
    throw THROWN[String(req.params.what)]!();
  });
  app.get('/circuit', a(deps.callOpenCircuit));
  app.get('/conflict', () => {
    throw new HttpError(409, 'note 7 was changed by someone else');
  });
  app.get('/write/:how', (req, res) => {
    const how = req.params.how;
    if (how === 'json') res.json({ how });
    else if (how === 'head-object') res.writeHead(200, { 'content-type': 'text/plain' }).end(how);
    else if (how === 'head-array') res.writeHead(200, ['content-type', 'text/plain']).end(how);
    else if (how === 'stream') {
      res.write('str');
      setTimeout(() => res.end('eam'), 5);
    } else {
      res.flushHeaders();
      res.end(how);
    }
  });
  app.post('/__control/dependency/:state', (req, res) => {
    deps.setDependencyUp(req.params.state === 'up');
    res.json({ ok: true });
  });
  app.post(
    '/__control/reset',
    a(async (req, res) => {
      await deps.resetClient(String(req.query.ip));
      res.json({ ok: true });
    }),
  );
  app.use(h.notFound);
  app.use(h.errorHandler);
  return app;
}

/** How heads are written on this framework, for the "every header on every head" scenario. */
export const EXPRESS_WRITES = ['json', 'head-object', 'head-array', 'stream', 'flush'] as const;
