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
      instance: '/x',
      requestId: 'rid',
    });
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
});
