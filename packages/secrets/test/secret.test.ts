import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { createLogger, memorySink } from '@org/logger';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { isSecret, REDACTED, secret } from '../src/index.js';

const VALUE = 'pg://app:hunter2-Sup3r$ecret@db:5432/app';

describe('Secret: never prints', () => {
  const s = secret(VALUE, 'DATABASE_URL');

  it('reveal() is the only way to the value', () => {
    expect(s.reveal()).toBe(VALUE);
    expect(s.name).toBe('DATABASE_URL');
    expect(REDACTED).toBe('[REDACTED]');
  });

  it('string conversions: String(), template literals, concatenation, toString, valueOf', () => {
    expect(String(s)).toBe(REDACTED);
    expect(`${s}`).toBe(REDACTED);
    expect(`url=${s}`).toBe('url=[REDACTED]');
    // biome-ignore lint/style/useTemplate: concatenation is what is tested
    expect(`${s}` + s).toBe(REDACTED + REDACTED);
    // biome-ignore lint/style/useTemplate: concatenation is what is tested
    expect('x' + s).toBe('x[REDACTED]');
    expect(s.toString()).toBe(REDACTED);
    expect(s.valueOf()).toBe(REDACTED);
    expect([s, s].join(',')).toBe('[REDACTED],[REDACTED]');
    expect(Object.prototype.toString.call(s)).toBe('[object Secret]');
  });

  it('JSON.stringify, alone and nested', () => {
    expect(JSON.stringify(s)).toBe('"[REDACTED]"');
    expect(JSON.stringify({ db: s, list: [s] })).toBe('{"db":"[REDACTED]","list":["[REDACTED]"]}');
  });

  it('util.inspect, util.format with every placeholder, and an Error message', () => {
    expect(inspect(s)).toBe('Secret(DATABASE_URL) [REDACTED]');
    expect(inspect({ nested: { s } }, { depth: 10, showHidden: true })).not.toContain('hunter2');
    expect(inspect(secret(VALUE))).toBe('Secret [REDACTED]');
    for (const f of ['%s', '%o', '%O', '%j', '%d', '%i', '%f', '%c']) expect(format(f, s)).not.toContain('hunter2');
    expect(format('%s', s)).toBe(REDACTED);
    expect(format(s)).toBe('Secret(DATABASE_URL) [REDACTED]');
    expect(new Error(`connect ${s} failed`).message).toBe('connect [REDACTED] failed');
  });

  it('structural copies carry nothing: spread, Object.keys/entries, structuredClone, own properties', () => {
    expect(Object.keys(s)).toEqual(['name']);
    expect(Object.values({ ...s })).toEqual(['DATABASE_URL']);
    expect(JSON.stringify(Object.getOwnPropertyDescriptors(s))).not.toContain('hunter2');
    const clone = structuredClone(s) as unknown;
    expect(JSON.stringify(clone)).not.toContain('hunter2');
    expect(isSecret(clone)).toBe(false);
    expect(Reflect.ownKeys(s).map(String)).toEqual(['name', 'Symbol(@org/secrets.secret)']);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('console.log output (captured through util.format, as console does) is redacted', () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...args: unknown[]) => lines.push(format(...args));
    try {
      console.log(s);
      console.log('db', s, { s });
    } finally {
      console.log = orig;
    }
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines[0]).toBe('Secret(DATABASE_URL) [REDACTED]');
  });

  it('the real @org/logger redacts it in fields, messages, child bindings and error fields', () => {
    const sink = memorySink();
    const log = createLogger({ sink, level: 'trace' });
    log.info('connecting', { db: s, nested: { list: [s] } });
    log.info({ db: s }, `connecting to ${s}`);
    log.child({ dsn: s }).warn('child');
    const err = Object.assign(new Error('failed'), { dsn: s });
    log.error('boom', { err });
    const out = sink.lines.join('\n');
    expect(out).not.toContain('hunter2');
    expect(sink.records()[0]).toMatchObject({ msg: 'connecting', db: REDACTED, nested: { list: [REDACTED] } });
    expect(sink.records()[1]).toMatchObject({ msg: 'connecting to [REDACTED]', db: REDACTED });
    expect(sink.records()[2]).toMatchObject({ dsn: REDACTED });
  });

  it('real pino redacts it in fields, messages, bindings and serialised errors', () => {
    let out = '';
    const dest = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const log = pino({ level: 'trace' }, dest);
    log.info({ db: s, nested: { list: [s] } }, 'connecting');
    log.info(`connecting to ${s}`);
    log.info('printf %s %o %j', s, s, s);
    log.child({ dsn: s }).warn('child');
    log.error({ err: Object.assign(new Error('failed'), { dsn: s }) }, 'boom');
    expect(out).not.toContain('hunter2');
    const first = JSON.parse(out.split('\n')[0]!);
    expect(first).toMatchObject({ db: REDACTED, nested: { list: [REDACTED] } });
    expect(out).toContain('"msg":"connecting to [REDACTED]"');
  });
});

describe('Secret: equals', () => {
  it('compares with strings and other secrets', () => {
    const s = secret('token-123');
    expect(s.equals('token-123')).toBe(true);
    expect(s.equals(secret('token-123'))).toBe(true);
    expect(s.equals('token-124')).toBe(false);
    expect(s.equals('token-12')).toBe(false);
    expect(s.equals('')).toBe(false);
    expect(secret('').equals('')).toBe(true);
    expect(secret('').equals('a')).toBe(false);
    expect(s.equals(42 as never)).toBe(false);
  });

  it('property: equals(x) is exactly (reveal() === x)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => secret(a).equals(b) === (a === b)),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.string(), (a) => secret(a).equals(a)));
  });
});

describe('Secret: construction', () => {
  it('refuses non-strings and brands across copies', () => {
    expect(() => secret(undefined as never)).toThrow(/value must be a string, got undefined/);
    expect(() => secret('x', 3 as never)).toThrow(/name must be a string/);
    expect(isSecret(secret('x'))).toBe(true);
    expect(isSecret({ reveal: () => 'x' })).toBe(false);
    const fake = Object.create(Object.getPrototypeOf(secret('x'))) as { reveal(): string };
    expect(() => fake.reveal()).toThrow(/not a Secret/);
  });
});
