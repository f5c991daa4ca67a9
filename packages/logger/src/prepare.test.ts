import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, type Fields, type LevelName, type LoggerOptions, withContext } from './index.js';
import { leaf } from './test-support/arbitraries.js';

/** Two loggers of the same options into one line list, with a clock that repeats per pair of calls. */
function pair(opts: LoggerOptions = {}) {
  const lines: string[] = [];
  const t = 1_764_000_000_000;
  let calls = 0;
  const log = createLogger({
    base: { pid: 1, hostname: 'h' },
    ...opts,
    // each record is written twice (prepared, then through fields): both calls must read the same time
    clock: () => t + (calls++ >> 1),
    sink: { write: (l: string) => lines.push(l) },
  });
  return { log, lines };
}

/** The fields object `log.info(fields, msg)` would get for these keys and values. */
function fieldsOf(keys: readonly string[], values: readonly unknown[]): Fields {
  const o: Fields = {};
  for (let i = 0; i < keys.length; i++) {
    if (values[i] !== undefined)
      Object.defineProperty(o, keys[i]!, { value: values[i], enumerable: true, writable: true, configurable: true });
  }
  return o;
}

const key = fc.oneof(
  fc.constantFrom(
    'requestId',
    'method',
    'path',
    'status',
    'durationMs',
    'ip',
    'aborted',
    'err',
    'user',
    'msg',
    'level',
  ),
  // index-like keys: an object lists them first, in numeric order
  fc.constantFrom('0', '1', '10', '2'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const one = fc.oneof(fc.uuid(), leaf);
const value = fc.oneof(one, fc.array(one, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), one));

describe('prepared records (log.prepare)', () => {
  it('write exactly the line of the same fields through log.<level>(fields, msg), for any keys and values', () => {
    const configs: LoggerOptions[] = [
      {},
      { base: null },
      { levelFormat: 'label', timestamp: 'iso', messageKey: 'message' },
      { timestamp: false, maxStringLength: 8, maxKeys: 3 },
      { redact: ['user', 'path'], serializers: { err: (e: unknown) => ({ wrapped: String(e) }) } },
      { redact: { paths: ['*.secret', 'IP'], caseInsensitive: true, remove: true } },
      { name: 'svc', context: () => ({ fromContext: 1 }) },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...configs.keys()),
        fc.array(key, { maxLength: 8 }),
        fc.array(value, { maxLength: 9 }),
        fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: undefined }),
        fc.constantFrom<Exclude<LevelName, 'silent'>>('trace', 'debug', 'info', 'warn', 'error', 'fatal'),
        (c, keys, values, msg, level) => {
          const { log, lines } = pair({ ...configs[c], level: 'trace' });
          const child = log.child({ svc: 'x', status: 'bound' });
          for (const l of [log, child]) {
            lines.length = 0;
            l.prepare(keys, msg)[level](...values);
            l[level](fieldsOf(keys, values), msg as string);
            expect(lines).toHaveLength(2);
            expect(lines[0]).toBe(lines[1]);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the request line of the adapters: keys left out for undefined values, a pending quote before the message', () => {
    const { log, lines } = pair({ base: null });
    const rec = log.prepare(
      ['requestId', 'method', 'path', 'status', 'durationMs', 'ip', 'aborted'],
      'request completed',
    );
    rec.info('9e5754c0-4db7-4ebb-b8fe-37e57a916b0b', 'GET', '/a"b', 200, 0.25, '127.0.0.1');
    rec.warn(undefined, 'POST', '/', 404, 1.5, '::1', true);
    expect(lines).toEqual([
      '{"level":30,"time":1764000000000,"requestId":"9e5754c0-4db7-4ebb-b8fe-37e57a916b0b","method":"GET","path":"/a\\"b","status":200,"durationMs":0.25,"ip":"127.0.0.1","msg":"request completed"}\n',
      '{"level":40,"time":1764000000000,"method":"POST","path":"/","status":404,"durationMs":1.5,"ip":"::1","aborted":true,"msg":"request completed"}\n',
    ]);
  });

  it('follows the logger level, also when it changes after prepare', () => {
    const { log, lines } = pair({ level: 'warn' });
    const rec = log.prepare(['a'], 'm');
    rec.info(1);
    rec.warn(2);
    log.setLevel('info');
    rec.info(3);
    log.setLevel('silent');
    rec.fatal(4);
    expect(lines.map((l) => JSON.parse(l).a)).toEqual([2, 3]);
  });

  it('merges the withContext fields, as a fields object would', () => {
    const { log, lines } = pair();
    const rec = log.prepare(['a', 'b'], 'm');
    withContext({ reqId: 'r1', a: 'from context' }, () => {
      rec.info(1, undefined);
      log.info(fieldsOf(['a', 'b'], [1, undefined]), 'm');
    });
    expect(lines[0]).toBe(lines[1]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ reqId: 'r1', a: 1, msg: 'm' });
  });

  it('fatal flushes the sink synchronously', () => {
    let flushed = 0;
    const log = createLogger({ sink: { write() {}, flushSync: () => flushed++ } });
    log.prepare(['a']).fatal(1);
    expect(flushed).toBe(1);
  });

  it('rejects keys that are not an array of strings, and a message that is not a string, naming what was wrong', () => {
    const log = createLogger({ sink: () => {} });
    expect(() => log.prepare('a' as never)).toThrow(/prepare\(keys\) must be an array of strings, got "a"/);
    expect(() => log.prepare(['a', 2] as never)).toThrow(/got 2 at index 1/);
    expect(() => log.prepare(['a'], 5 as never)).toThrow(/msg must be a string or undefined, got 5/);
  });
});
