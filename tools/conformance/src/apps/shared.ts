// What every conformance app has in common: the values its routes set, the secret its failing route must never leak,
// and the error class it throws. One app per framework (express.ts, fastify.ts, hono.ts), the same routes in each.

/** The Content-Security-Policy the /own route sets itself. */
export const OWN_CSP = "default-src 'none'";

/** What /precedence sets itself, one header of each class the middleware also sets (names lower-case). */
export const ROUTE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-request-id': 'route-chosen-id',
  ratelimit: '"route";r=7;t=9',
  'ratelimit-policy': '"route";q=10;w=60',
  'x-response-time': 'route-time',
  'x-frame-options': 'DENY',
  'access-control-allow-origin': 'https://route.example',
  vary: 'Accept-Encoding',
  'x-powered-by': 'route',
});

export const SECRET_MESSAGE = 'secret-db-password at /srv/app/db.ts:42';

/** How the /throw/:what routes throw. */
export const THROWN: Readonly<Record<string, () => unknown>> = Object.freeze({
  string: () => 'a string',
  null: () => null,
  undefined: () => undefined,
  number: () => 42,
  object: () => ({ message: SECRET_MESSAGE }),
});

export class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export const wait = (ms: number, signal?: AbortSignal | null): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** A promise that never settles: a handler that never answers. */
export const never = (): Promise<never> => new Promise<never>(() => {});
