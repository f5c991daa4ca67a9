// The adapters' own errors against the error contract of the core packages (tools/error-contract): every code of
// adapterErrorCodes made by its factory, the option errors of the adapters' new options, and each adapter README's
// errors table against the same export.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  builtInErrorSites,
  expectContract,
  expectReadmeMatches,
  readmeErrorRows,
} from '../../error-contract/src/index.js';
import {
  AdapterError,
  adapterErrorCodes,
  bodyTooLarge,
  crossOriginRefused,
  ipDenied,
  isAdapterError,
  noClientAddress,
  requestTimedOut,
} from './errors.js';
import { resolveOptions } from './options.js';
import { compileValidation, malformedBody, unsupportedBody, ValidationError, validatorFailed } from './validate.js';

const classes = ['AdapterError', 'ValidationError', 'TypeError', 'RangeError'];
const opts = { classes, guard: isAdapterError };

describe('adapter errors follow the error contract', () => {
  it('every code, made the way the adapters make it', () => {
    const made: Record<keyof typeof adapterErrorCodes, unknown[]> = {
      ERR_BODY_TOO_LARGE: [bodyTooLarge(1024)],
      ERR_REQUEST_TIMEOUT: [requestTimedOut(300)],
      ERR_NO_CLIENT_ADDRESS: [noClientAddress('hono')],
      ERR_IP_DENIED: [ipDenied()],
      ERR_CROSS_ORIGIN_REQUEST: [crossOriginRefused('cross-origin request detected from Sec-Fetch-Site header')],
      ERR_MALFORMED_BODY: [
        new AdapterError('ERR_MALFORMED_BODY', 400, 'Malformed JSON in request body'),
        malformedBody(),
      ],
      ERR_VALIDATION: [new ValidationError([{ in: 'body', path: ['title'], message: 'Required' }], 0)],
      ERR_UNSUPPORTED_MEDIA_TYPE: [unsupportedBody()],
      ERR_VALIDATOR_FAILED: [
        validatorFailed('express', new Error('schema bug')),
        validatorFailed('hono', undefined, 'the body validator returned 42, not a result'),
      ],
      ERR_INVALID_OPTION: [
        () => compileValidation({} as never, 'express'),
        () => compileValidation({ body: {} } as never, 'fastify'),
        () => resolveOptions({ timeoutStatus: 500 as never }, 'express'),
        () => resolveOptions({ ipFilter: { allow: ['10.0.0.0/33'] } }, 'fastify'),
        () => resolveOptions({ csrf: {} as never }, 'hono'),
      ],
    };
    for (const [code, list] of Object.entries(made)) {
      for (const item of list) {
        let err = item;
        if (typeof item === 'function') {
          try {
            item();
            err = undefined;
          } catch (e) {
            err = e;
          }
        }
        expectContract(err, code, adapterErrorCodes, opts);
      }
    }
    // a timeout answered 504 (timeoutStatus) keeps its code; only the status differs from the table's default
    expect(requestTimedOut(300, 504)).toMatchObject({ code: 'ERR_REQUEST_TIMEOUT', status: 504, retryable: true });
  });

  it('no source file constructs a built-in error outside errors.ts, but for the abort reason of a client gone', () => {
    // `new Error('client closed the connection')` is the reason a request's signal aborts with, never thrown to a caller
    const dirs = [
      './',
      '../../../packages/express/src/',
      '../../../packages/fastify/src/',
      '../../../packages/hono/src/',
    ];
    const sites = dirs.flatMap((d) => builtInErrorSites(fileURLToPath(new URL(d, import.meta.url))));
    expect(sites.filter((s) => !s.includes("new Error('client closed the connection')"))).toEqual([]);
  });

  it('bad options of every kind carry ERR_INVALID_OPTION', () => {
    for (const bad of [
      { bodyLimit: 'lots' },
      { timeoutMs: -1 },
      { trustProxy: -1 },
      { trustProxy: ['nope'] },
      { requestId: { header: 'a b' } },
      { responseTime: 'yes' },
      { cors: {} },
      { rateLimit: { limiter: {} } },
    ]) {
      let err: unknown;
      try {
        resolveOptions(bad as never, 'express');
      } catch (e) {
        err = e;
      }
      expectContract(err, 'ERR_INVALID_OPTION', adapterErrorCodes, opts);
    }
  });

  it('the table is frozen', () => {
    expect(Object.isFrozen(adapterErrorCodes)).toBe(true);
    for (const info of Object.values(adapterErrorCodes)) expect(Object.isFrozen(info)).toBe(true);
  });

  for (const adapter of ['express', 'fastify', 'hono']) {
    it(`@org/${adapter}: the README's errors table lists exactly these codes, with the same retryable and status`, () => {
      const readme = readFileSync(new URL(`../../../packages/${adapter}/README.md`, import.meta.url), 'utf8');
      expectReadmeMatches(readme, adapterErrorCodes);
      for (const row of readmeErrorRows(readme)) for (const c of row.classes) expect(classes).toContain(c);
    });
  }
});
