import { describe, expect, it } from 'vitest';
import { createLogger, getContext, LEVELS, type LoggerOptions, memorySink, withContext } from './index.js';

function setup(opts: LoggerOptions = {}) {
  const sink = memorySink();
  const log = createLogger({ base: null, timestamp: false, ...opts, sink });
  return { log, sink, rec: () => sink.records() };
}

describe('levels', () => {
  it('writes at and above the level only, with pino numbers', () => {
    const { log, rec } = setup({ level: 'warn' });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(rec().map((r) => r.level)).toEqual([40, 50, 60]);
    expect(LEVELS.info).toBe(30);
  });

  it('setLevel changes what is written and level reports it; silent writes nothing', () => {
    const { log, sink } = setup();
    expect(log.level).toBe('info');
    log.debug('no');
    log.setLevel('debug');
    expect(log.level).toBe('debug');
    expect(log.isLevelEnabled('debug')).toBe(true);
    log.debug('yes');
    log.setLevel('silent');
    expect(log.isLevelEnabled('fatal')).toBe(false);
    log.fatal('no');
    expect(sink.records().map((r) => r.msg)).toEqual(['yes']);
  });

  it('disabled methods are one shared no-op; enabling swaps the real method in', () => {
    const { log } = setup({ level: 'warn' });
    expect(log.debug).toBe(log.trace);
    expect(log.info).toBe(log.trace);
    expect(log.warn).not.toBe(log.trace);
    log.setLevel('trace');
    expect(log.trace).not.toBe(log.debug);
  });

  it('rejects unknown levels naming the option', () => {
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(/level must be one of .*got "verbose"/);
    const { log } = setup();
    expect(() => log.setLevel('loud' as never)).toThrow(RangeError);
  });

  it('lazy fields are only evaluated when the level is enabled', () => {
    const { log, rec } = setup();
    let calls = 0;
    log.debug(() => {
      calls++;
      return { a: 1 };
    });
    log.info(() => {
      calls++;
      return { a: 2 };
    }, 'lazy');
    log.info('lazy2', () => ({ b: 3 }));
    expect(calls).toBe(1);
    expect(rec()).toEqual([
      { level: 30, a: 2, msg: 'lazy' },
      { level: 30, b: 3, msg: 'lazy2' },
    ]);
  });

  it('a throwing lazy function is reported, not thrown', () => {
    const { log, rec } = setup();
    log.info(() => {
      throw new Error('nope');
    }, 'x');
    expect(rec()[0]).toEqual({ level: 30, lazyError: '[Throws: nope]', msg: 'x' });
  });
});

describe('line shape', () => {
  it('is pino-shaped: level, time, pid, hostname, fields, msg', () => {
    const sink = memorySink();
    const log = createLogger({ sink, clock: () => 1700000000000 });
    log.info({ a: 1 }, 'hello');
    const line = sink.lines[0]!;
    expect(line).toMatch(/^\{"level":30,"time":1700000000000,"pid":\d+,"hostname":"[^"]+","a":1,"msg":"hello"\}$/);
  });

  it('accepts both (msg, fields) and (fields, msg)', () => {
    const { log, sink } = setup();
    log.info('m1', { a: 1 });
    log.info({ a: 1 }, 'm1');
    expect(sink.lines[0]).toBe(sink.lines[1]);
  });

  it('iso timestamps, label levels, custom message key and name', () => {
    const sink = memorySink();
    const log = createLogger({
      sink,
      base: null,
      name: 'api',
      timestamp: 'iso',
      levelFormat: 'label',
      messageKey: 'message',
      clock: () => Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    });
    log.warn('hi');
    expect(sink.lines[0]).toBe('{"level":"warn","time":"2026-01-02T03:04:05.006Z","name":"api","message":"hi"}');
  });

  it('custom timestamp function', () => {
    const { log, sink } = setup({ timestamp: () => 'T1' });
    log.info('x');
    expect(sink.lines[0]).toBe('{"level":30,"time":"T1","msg":"x"}');
  });

  it('an Error in place of fields goes under err with its message as msg', () => {
    const { log, rec } = setup();
    log.error(new TypeError('bad thing'));
    log.error(new Error('inner'), 'outer');
    log.error('as fields', new Error('e3'));
    const [a, b, c] = rec();
    expect(a!.msg).toBe('bad thing');
    expect(a!.err).toMatchObject({ type: 'TypeError', message: 'bad thing' });
    expect((a!.err as { stack: string }).stack).toContain('TypeError: bad thing');
    expect(b!.msg).toBe('outer');
    expect(c!.msg).toBe('as fields');
    expect(c!.err).toMatchObject({ message: 'e3' });
  });

  it('a primitive in place of fields becomes the message, an array goes under value', () => {
    const { log, rec } = setup();
    log.info(42 as never);
    log.info([1, 2] as never, 'arr');
    expect(rec()).toEqual([
      { level: 30, msg: 42 },
      { level: 30, value: [1, 2], msg: 'arr' },
    ]);
  });

  it('logs own keys only: inherited enumerable keys stay out, also when Object.prototype has one', () => {
    const { log, rec } = setup();
    const withProto = Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, { own: 2 });
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    log.info(withProto, 'p');
    log.info(nullProto, 'n');
    log.info({ plain: 3 }, 'before');
    (Object.prototype as Record<string, unknown>).polluted = 'x';
    try {
      log.info({ plain: 4 }, 'polluted');
      log.info(nullProto, 'n2');
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    log.info({ plain: 5 }, 'after');
    expect(rec()).toEqual([
      { level: 30, own: 2, msg: 'p' },
      { level: 30, a: 1, msg: 'n' },
      { level: 30, plain: 3, msg: 'before' },
      { level: 30, plain: 4, msg: 'polluted' },
      { level: 30, a: 1, msg: 'n2' },
      { level: 30, plain: 5, msg: 'after' },
    ]);
  });

  it('serializers apply to top-level keys', () => {
    const { log, rec } = setup({ serializers: { req: (r: { url: string }) => ({ url: r.url }) } });
    log.info({ req: { url: '/x', socket: { big: true } } }, 'r');
    expect(rec()[0]).toEqual({ level: 30, req: { url: '/x' }, msg: 'r' });
  });
});

describe('child loggers', () => {
  it('carry bindings, later keys override earlier ones, no duplicate keys', () => {
    const { log, sink } = setup({ base: { service: 'api', pid: 1 } });
    const c = log.child({ reqId: 'a', service: 'child' }).child({ reqId: 'b' });
    c.info({ extra: 1 }, 'hello');
    expect(sink.lines[0]).toBe('{"level":30,"service":"child","pid":1,"reqId":"b","extra":1,"msg":"hello"}');
    expect(c.bindings()).toEqual({ service: 'child', pid: 1, reqId: 'b' });
  });

  it('fields that repeat a binding or a core key appear once (fields win)', () => {
    const { log, sink } = setup({ base: { pid: 1 } });
    const c = log.child({ reqId: 'a' });
    c.info({ reqId: 'override', pid: 2, level: 99, time: 5, z: 1 }, 'm');
    c.info({ msg: 'from fields' });
    const line = sink.lines[0]!;
    expect(line).toBe('{"level":30,"pid":2,"reqId":"override","z":1,"msg":"m"}');
    expect(sink.records()[1]).toEqual({ level: 30, pid: 1, reqId: 'a', msg: 'from fields' });
    for (const l of sink.lines) {
      const keys = [...l.matchAll(/"([a-zA-Z]+)":/g)].map((m) => m[1]);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('a "__proto__" key is kept as data, also on the merge path', () => {
    const { log, sink } = setup({ base: { a: 1 } });
    const fields = JSON.parse('{"__proto__":{"x":1},"a":2}') as Record<string, unknown>;
    log.info(fields, 'p');
    expect(sink.lines[0]).toBe('{"level":30,"a":2,"__proto__":{"x":1},"msg":"p"}');
    const c = log.child(JSON.parse('{"__proto__":"b"}'));
    c.info('q');
    expect(sink.lines[1]).toBe('{"level":30,"a":1,"__proto__":"b","msg":"q"}');
  });

  it('child level is independent and defaults to the parent level at creation', () => {
    const { log, rec } = setup({ level: 'warn' });
    const c = log.child({ c: 1 });
    const d = log.child({ d: 1 }, { level: 'debug' });
    log.setLevel('info');
    c.info('c-no');
    d.debug('d-yes');
    log.info('p-yes');
    expect(rec().map((r) => r.msg)).toEqual(['d-yes', 'p-yes']);
  });

  it('rejects reserved keys and non-objects', () => {
    const { log } = setup();
    expect(() => log.child({ level: 1 })).toThrow(/reserved key "level"/);
    expect(() => log.child(null as never)).toThrow(/child\(bindings\) must be a plain object, got null/);
  });
});

describe('safe serialisation', () => {
  it('cycles, BigInt, Symbol, throwing getters, Map, Set, Date, functions', () => {
    const { log, rec } = setup();
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    const getter = {
      ok: 1,
      get bad(): never {
        throw new Error('getter blew up');
      },
    };
    log.info({
      cyc,
      big: 2n ** 70n,
      sym: Symbol('s'),
      getter,
      map: new Map<unknown, unknown>([
        ['k', 1],
        [2, 'two'],
      ]),
      set: new Set([1, 2]),
      date: new Date(0),
      fn: () => 1,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      undef: undefined,
      arr: [undefined, () => 1, 1],
    });
    expect(rec()[0]).toEqual({
      level: 30,
      cyc: { a: 1, self: '[Circular]' },
      big: '1180591620717411303424',
      sym: 'Symbol(s)',
      getter: { ok: 1, bad: '[Throws: getter blew up]' },
      map: { k: 1, 2: 'two' },
      set: [1, 2],
      date: '1970-01-01T00:00:00.000Z',
      nan: 'NaN',
      inf: 'Infinity',
      arr: [null, null, 1],
    });
  });

  it('a hostile Proxy does not break the line', () => {
    const { log, sink } = setup();
    const p = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
        getPrototypeOf() {
          throw new Error('no proto');
        },
      },
    );
    log.info({ p, ok: true }, 'm');
    expect(JSON.parse(sink.lines[0]!)).toEqual({ level: 30, p: '[Throws: no proto]', ok: true, msg: 'm' });
  });

  it('depth, key, array and string caps', () => {
    const { log, rec } = setup({ maxDepth: 3, maxKeys: 3, maxArrayLength: 2, maxStringLength: 5 });
    log.info({
      deep: { a: { b: { c: { d: 1 } } } },
      wide: { k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 },
      long: [1, 2, 3, 4],
    });
    log.info({ s: 'abcdefgh' });
    const [a, b] = rec();
    expect(a!.deep).toEqual({ a: { b: '[Object]' } });
    expect(a!.wide).toEqual({ k1: 1, k2: 2, k3: 3, '…': '2 more keys' });
    expect(a!.long).toEqual([1, 2, '[…2 more items]']);
    expect(b!.s).toBe('abcde…[truncated 3 chars]');
  });

  it('very deep and very large objects are bounded', () => {
    const { log, sink } = setup();
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 10_000; i++) {
      const n = {};
      deep.n = n;
      deep = n;
    }
    const huge = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    log.info({ root, huge });
    const line = sink.lines[0]!;
    expect(() => JSON.parse(line)).not.toThrow();
    expect(line.length).toBeLessThan(20_000);
  });

  it('errors with cause chains and AggregateError', () => {
    const { log, rec } = setup();
    const root = new Error('root cause');
    const mid = new Error('mid', { cause: root });
    const agg = new AggregateError([new RangeError('r1'), mid], 'many', { cause: 'plain cause' });
    (agg as unknown as { code: string }).code = 'E_AGG';
    log.error({ err: agg }, 'failed');
    const err = rec()[0]!.err as Record<string, any>;
    expect(err.type).toBe('AggregateError');
    expect(err.message).toBe('many');
    expect(err.code).toBe('E_AGG');
    expect(err.cause).toBe('plain cause');
    expect(err.errors[0]).toMatchObject({ type: 'RangeError', message: 'r1' });
    expect(err.errors[1]).toMatchObject({ message: 'mid', cause: { message: 'root cause' } });
    expect(err.errors[1].cause.stack).toContain('root cause');
  });

  it('an error whose cause is itself is cut as a cycle', () => {
    const { log, sink } = setup();
    const e = new Error('loop');
    (e as { cause?: unknown }).cause = e;
    log.error(e);
    expect(JSON.parse(sink.lines[0]!).err.cause).toBe('[Circular]');
  });

  it('escapes control characters, quotes, backslashes and lone surrogates', () => {
    const { log, sink } = setup();
    const s = 'a"b\\c\n\u0000\u001f\ud800x\u2028';
    log.info({ [s]: s }, s);
    const r = JSON.parse(sink.lines[0]!);
    expect(r[s]).toBe(s);
    expect(r.msg).toBe(s);
  });
});

describe('context', () => {
  it('withContext merges fields into lines across awaits, nested contexts merge', async () => {
    const { log, rec } = setup();
    log.info('before');
    await withContext({ reqId: 'r1', user: 'u' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      log.info('inside');
      await withContext({ user: 'u2', step: 2 }, async () => {
        await Promise.resolve();
        expect(getContext()).toEqual({ reqId: 'r1', user: 'u2', step: 2 });
        log.info({ step: 3 }, 'nested');
      });
    });
    log.info('after');
    expect(getContext()).toBeUndefined();
    expect(rec()).toEqual([
      { level: 30, msg: 'before' },
      { level: 30, reqId: 'r1', user: 'u', msg: 'inside' },
      { level: 30, reqId: 'r1', user: 'u2', step: 3, msg: 'nested' },
      { level: 30, msg: 'after' },
    ]);
  });

  it('context keys never duplicate bindings', () => {
    const { log, sink } = setup({ base: { reqId: 'base' } });
    withContext({ reqId: 'ctx' }, () => log.info('x'));
    expect(sink.lines[0]).toBe('{"level":30,"reqId":"ctx","msg":"x"}');
  });

  it('context: false ignores it; a function supplies it', () => {
    const a = setup({ context: false });
    withContext({ r: 1 }, () => a.log.info('x'));
    expect(a.rec()[0]).toEqual({ level: 30, msg: 'x' });
    const b = setup({ context: () => ({ from: 'fn' }) });
    b.log.info('y');
    expect(b.rec()[0]).toEqual({ level: 30, from: 'fn', msg: 'y' });
  });
});

describe('timing', () => {
  it('time(label) logs durationMs from the injected clock', () => {
    let t = 1000;
    const { log, rec } = setup({ timerClock: () => t });
    const end = log.time('db.query');
    t = 1012.5;
    expect(end({ rows: 3 })).toBe(12.5);
    expect(rec()[0]).toEqual({ level: 30, rows: 3, durationMs: 12.5, msg: 'db.query' });
  });

  it('startTimer().done() at a chosen level, elapsed() without logging', () => {
    let t = 0;
    const { log, rec } = setup({ timerClock: () => t });
    const timer = log.startTimer();
    t = 5;
    expect(timer.elapsed()).toBe(5);
    t = 7;
    expect(timer.done('slow op', { id: 1 }, 'warn')).toBe(7);
    expect(rec()).toEqual([{ level: 40, id: 1, durationMs: 7, msg: 'slow op' }]);
  });
});

describe('sinks and flush', () => {
  it('a write function is a sink and gets the numeric level', async () => {
    const got: Array<[string, number]> = [];
    const log = createLogger({ base: null, timestamp: false, sink: (line, level) => got.push([line, level]) });
    log.warn('w');
    await log.flush();
    log.flushSync();
    expect(got).toEqual([['{"level":40,"msg":"w"}\n', 40]]);
  });

  it('fatal calls flushSync on the sink', () => {
    const events: string[] = [];
    const log = createLogger({
      sink: { write: () => events.push('write'), flushSync: () => events.push('flushSync') },
    });
    log.error('e');
    log.fatal('f');
    expect(events).toEqual(['write', 'write', 'flushSync']);
  });

  it('flush awaits an async sink flush', async () => {
    let flushed = false;
    const log = createLogger({
      sink: {
        write() {},
        flush: () =>
          new Promise<void>((r) =>
            setTimeout(() => {
              flushed = true;
              r();
            }, 5),
          ),
      },
    });
    await log.flush();
    expect(flushed).toBe(true);
  });

  it('console sink writes lines without the newline, per level when asked', async () => {
    const { consoleSink } = await import('./index.js');
    const seen: string[] = [];
    const orig = { log: console.log, error: console.error, warn: console.warn };
    console.log = (s: string) => seen.push(`log:${s}`);
    console.error = (s: string) => seen.push(`error:${s}`);
    console.warn = (s: string) => seen.push(`warn:${s}`);
    try {
      const a = createLogger({ base: null, timestamp: false, sink: consoleSink() });
      a.error('x');
      const b = createLogger({ base: null, timestamp: false, sink: consoleSink({ byLevel: true }) });
      b.error('y');
      b.warn('z');
    } finally {
      Object.assign(console, orig);
    }
    expect(seen).toEqual(['log:{"level":50,"msg":"x"}', 'error:{"level":50,"msg":"y"}', 'warn:{"level":40,"msg":"z"}']);
  });
});

describe('option validation', () => {
  it('names the option and the value', () => {
    expect(() => createLogger({ maxDepth: 0 })).toThrow('logger: maxDepth must be an integer >= 1, got 0');
    expect(() => createLogger({ timestamp: 'unix' as never })).toThrow(/timestamp must be/);
    expect(() => createLogger({ sink: {} as never })).toThrow(/sink must be a function or an object with write/);
    expect(() => createLogger({ messageKey: 'level' })).toThrow(/messageKey must be/);
    expect(() => createLogger({ serializers: { a: 1 as never } })).toThrow(
      'logger: serializers.a must be a function, got 1',
    );
    expect(() => createLogger({ redact: ['a..b'] })).toThrow(/redact.paths\[0\] "a..b" is not a valid path/);
    expect(() => createLogger({ redact: { paths: ['a'], censor: 1 as never } })).toThrow(/redact.censor/);
    expect(() => createLogger({ base: { time: 1 } })).toThrow(/reserved key "time"/);
  });
});
