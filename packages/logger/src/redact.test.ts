import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions, memorySink } from './index.js';
import { parsePath } from './internal/redact.js';

function rec(
  redact: NonNullable<LoggerOptions['redact']>,
  fields: Record<string, unknown>,
  bindings?: Record<string, unknown>,
) {
  const sink = memorySink();
  let log = createLogger({ base: null, timestamp: false, redact, sink });
  if (bindings) log = log.child(bindings);
  log.info(fields);
  return sink.records()[0]!;
}

describe('redaction paths', () => {
  it('parses dotted, bracketed, quoted and wildcard segments', () => {
    expect(parsePath('a.b', 'p')).toEqual(['a', 'b']);
    expect(parsePath('a["x.y"][0].*', 'p')).toEqual(['a', 'x.y', '0', '*']);
    expect(parsePath("h['set-cookie']", 'p')).toEqual(['h', 'set-cookie']);
    expect(parsePath('**.token', 'p')).toEqual(['**', 'token']);
    for (const bad of ['', 'a.', '.a', 'a[', 'a["x]', 'a[]', 'a]b['])
      expect(() => parsePath(bad, 'p')).toThrow(TypeError);
  });

  it('literal paths censor only that path', () => {
    expect(rec(['user.password'], { user: { password: 'p', name: 'n' }, password: 'top' })).toEqual({
      level: 30,
      user: { password: '[Redacted]', name: 'n' },
      password: 'top',
    });
  });

  it('* matches any one key, including array indexes', () => {
    expect(
      rec(['*.secret', 'list[*].token'], {
        a: { secret: 1 },
        b: { c: { secret: 2 } },
        list: [{ token: 't' }, { token: 'u', k: 1 }],
      }),
    ).toEqual({
      level: 30,
      a: { secret: '[Redacted]' },
      b: { c: { secret: 2 } },
      list: [{ token: '[Redacted]' }, { token: '[Redacted]', k: 1 }],
    });
  });

  it('** matches at any depth, including the top', () => {
    expect(rec(['**.token'], { token: 1, a: { token: 2, b: [{ token: 3 }] }, x: 'token' })).toEqual({
      level: 30,
      token: '[Redacted]',
      a: { token: '[Redacted]', b: [{ token: '[Redacted]' }] },
      x: 'token',
    });
    expect(rec(['a.**'], { a: { deep: 1 }, b: 1 })).toEqual({ level: 30, a: '[Redacted]', b: 1 });
    expect(rec(['a.**.c.d'], { a: { c: { d: 1 }, x: { y: { c: { d: 2, e: 3 } } } } })).toEqual({
      level: 30,
      a: { c: { d: '[Redacted]' }, x: { y: { c: { d: '[Redacted]', e: 3 } } } },
    });
  });

  it('caseInsensitive matches keys in any case; censor text and remove', () => {
    const headers = { Authorization: 'Bearer x', COOKIE: 'c', host: 'h' };
    expect(
      rec({ paths: ['headers.authorization', 'headers.cookie'], caseInsensitive: true, censor: '***' }, { headers }),
    ).toEqual({
      level: 30,
      headers: { Authorization: '***', COOKIE: '***', host: 'h' },
    });
    expect(rec({ paths: ['headers.authorization'] }, { headers })).toEqual({ level: 30, headers });
    expect(
      rec({ paths: ['a.secret', 'list[0]'], remove: true }, { a: { secret: 1, ok: 2 }, list: ['s', 'ok'] }),
    ).toEqual({
      level: 30,
      a: { ok: 2 },
      list: [null, 'ok'],
    });
  });

  it('applies to child bindings, context and values inside Errors, Maps and toJSON results', () => {
    const e = Object.assign(new Error('x'), { token: 'in-error' });
    const r = rec(
      ['**.token'],
      { err: e, m: new Map([['token', 'in-map']]), j: { toJSON: () => ({ token: 'in-json' }) } },
      {
        token: 'in-binding',
      },
    );
    expect(JSON.stringify(r)).not.toMatch(/in-(error|map|json|binding)/);
    expect((r.err as Record<string, unknown>).token).toBe('[Redacted]');
  });

  it('redacts the whole value even when it is an object, array or Error', () => {
    expect(rec(['a'], { a: { nested: 'secret' } })).toEqual({ level: 30, a: '[Redacted]' });
    expect(rec(['a'], { a: ['secret'] })).toEqual({ level: 30, a: '[Redacted]' });
    expect(rec(['a'], { a: new Error('secret') })).toEqual({ level: 30, a: '[Redacted]' });
  });
});
