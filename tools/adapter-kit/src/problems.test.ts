import { describe, expect, it } from 'vitest';
import { problemForError } from './problems.js';

describe('problemForError', () => {
  const ctx = { requestId: 'rid', instance: '/x' };
  it('never leaks an unexpected error', () => {
    const p = problemForError(new Error('password=hunter2'), ctx);
    expect(p).toMatchObject({ status: 500, expected: false });
    expect(JSON.stringify(p)).not.toContain('hunter2');
    expect(p.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      code: 'ERR_INTERNAL',
      instance: '/x',
      requestId: 'rid',
    });
    // a bare 500 never carries the error's own code (ECONNREFUSED, a driver's code): it is internal
    expect(problemForError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), ctx).body.code).toBe(
      'ERR_INTERNAL',
    );
    expect(problemForError('a string', ctx).status).toBe(500);
    expect(problemForError(null, ctx).status).toBe(500);
    const five = problemForError(Object.assign(new Error('db at 10.0.0.5 down'), { status: 502 }), ctx);
    expect(five.status).toBe(502);
    expect(JSON.stringify(five.body)).not.toContain('10.0.0.5');
  });
  it('maps open circuits to 503 + Retry-After (rounded up, at least 1 s; none while isolated)', () => {
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN', retryAfterMs: 1500 }, ctx).headers).toEqual({
      'retry-after': '2',
    });
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN', retryAfterMs: 0 }, ctx).headers).toEqual({ 'retry-after': '1' });
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN', retryAfterMs: Number.POSITIVE_INFINITY }, ctx).headers).toEqual(
      {},
    );
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN' }, ctx).status).toBe(503);
  });
  it('maps oversize, rate limits, timeouts and client errors', () => {
    expect(problemForError({ type: 'entity.too.large', status: 413 }, ctx).status).toBe(413);
    expect(problemForError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, ctx).status).toBe(413);
    expect(problemForError({ code: 'ERR_RATE_LIMITED', retryAfterMs: 100 }, ctx)).toMatchObject({
      status: 429,
      headers: { 'retry-after': '1' },
    });
    expect(problemForError({ code: 'ERR_REQUEST_TIMEOUT' }, ctx).status).toBe(503);
    expect(problemForError({ code: 'ERR_CIRCUIT_TIMEOUT' }, ctx).status).toBe(504);
    expect(problemForError({ status: 422, message: 'name is required' }, ctx).body.detail).toBe('name is required');
    expect(problemForError({ status: 400, message: 'internal', expose: false }, ctx).body.detail).toBeUndefined();
  });
  it('puts a stable code on every problem: the known codes, the error own code, else one from the status', () => {
    const code = (e: unknown) => problemForError(e, ctx).body.code;
    expect(code({ code: 'ERR_CIRCUIT_OPEN' })).toBe('ERR_CIRCUIT_OPEN');
    expect(code({ code: 'ERR_CIRCUIT_TIMEOUT' })).toBe('ERR_CIRCUIT_TIMEOUT');
    expect(code({ code: 'ERR_REQUEST_TIMEOUT' })).toBe('ERR_REQUEST_TIMEOUT');
    expect(code({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).toBe('ERR_BODY_TOO_LARGE');
    expect(code({ type: 'entity.too.large', status: 413 })).toBe('ERR_BODY_TOO_LARGE');
    expect(code({ code: 'ERR_TOO_MANY_REQUESTS' })).toBe('ERR_RATE_LIMITED');
    expect(code({ type: 'entity.parse.failed', status: 400, message: 'Unexpected token' })).toBe('ERR_MALFORMED_BODY');
    expect(code({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 })).toBe('ERR_MALFORMED_BODY');
    expect(code({ code: 'ERR_IP_DENIED', status: 403, message: 'no' })).toBe('ERR_IP_DENIED');
    expect(code({ code: 'ERR_NOTE_CHANGED', status: 409, message: 'changed' })).toBe('ERR_NOTE_CHANGED');
    expect(code({ status: 409, message: 'changed' })).toBe('ERR_CONFLICT');
    expect(code({ status: 404, message: '' })).toBe('ERR_NOT_FOUND');
    expect(code({ status: 413 })).toBe('ERR_CONTENT_TOO_LARGE');
    expect(code({ status: 418 })).toBe('ERR_HTTP_418');
    expect(code({ status: 400, code: 'lower-case code' })).toBe('ERR_BAD_REQUEST');
    expect(code({ status: 502, code: 'ERR_UPSTREAM' })).toBe('ERR_UPSTREAM');
    expect(code({ status: 503 })).toBe('ERR_SERVICE_UNAVAILABLE');
  });
  it('answers a timeout with the status its error carries (timeoutStatus 504), else 503', () => {
    expect(problemForError({ code: 'ERR_REQUEST_TIMEOUT', status: 504 }, ctx)).toMatchObject({
      status: 504,
      body: { title: 'Gateway Timeout', code: 'ERR_REQUEST_TIMEOUT' },
    });
    expect(problemForError({ code: 'ERR_REQUEST_TIMEOUT', status: 500 }, ctx).status).toBe(503);
  });
});
