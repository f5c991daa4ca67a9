import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, memorySink, withContext } from './index.js';
import { leaf } from './test-support/arbitraries.js';

// What a JSON consumer should read back for a logged value: JSON's own mapping, plus BigInt as a decimal string and
// non-finite numbers as their names (JSON has no literal for them).
function expected(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : String(v);
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : expected(x)));
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = expected(x);
    return o;
  }
  return v;
}

const key = fc
  .string({ unit: 'binary', maxLength: 12 })
  .filter((k) => !['__proto__', 'level', 'time', 'msg'].includes(k));
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(key, tie('v'), { maxKeys: 5 }),
  ),
})).v;

describe('property: every line is valid JSON and round-trips', () => {
  it('fields and message', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { maxKeys: 6 }),
        fc.string({ unit: 'binary', maxLength: 60 }),
        (fields, msg) => {
          const sink = memorySink();
          const log = createLogger({ base: null, timestamp: false, sink });
          log.info(fields, msg);
          expect(sink.lines).toHaveLength(1);
          expect(sink.lines[0]).not.toContain('\n');
          const parsed = JSON.parse(sink.lines[0]!);
          expect(parsed).toEqual({ level: 30, ...(expected(fields) as object), msg });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('child bindings and context round-trip too', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), fc.dictionary(key, value, { maxKeys: 4 }), (b, f) => {
        const sink = memorySink();
        const log = createLogger({ base: null, timestamp: false, sink }).child(b);
        log.warn(f);
        const parsed = JSON.parse(sink.lines[0]!);
        expect(parsed).toEqual({ level: 40, ...(expected({ ...b, ...f }) as object) });
      }),
      { numRuns: 200 },
    );
  });
});

describe('property: no configured secret ever appears', () => {
  const SECRET = 'S3CR3T-VALUE';
  // a secret-bearing leaf: the secret itself, inside a string, inside an object or array
  const secretish = fc.oneof(
    fc.constant(SECRET),
    fc.string({ maxLength: 5 }).map((s) => `${s}${SECRET}${s}`),
    fc.constant({ nested: SECRET, deeper: [SECRET] }),
    fc.constant([SECRET]),
  );
  const segment = fc.constantFrom('password', 'token', 'Authorization', 'apiKey', 'a', 'b', 'list', '0');

  it('values at configured paths (literal, *, ** and case-insensitive) never reach the output', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        secretish,
        fc.dictionary(key, value, { maxKeys: 4 }),
        fc.boolean(),
        (segs, secret, noise, remove) => {
          // Build an object that holds the secret at `segs`, configure a path that covers it in one of four ways.
          const obj: Record<string, unknown> = { ...noise };
          let cur = obj;
          for (let i = 0; i < segs.length - 1; i++) {
            const n: Record<string, unknown> = {};
            cur[segs[i]!] = n;
            cur = n;
          }
          cur[segs[segs.length - 1]!] = secret;
          const last = segs[segs.length - 1]!;
          const paths = [
            segs.join('.'),
            segs.length > 1
              ? `${segs
                  .slice(0, -1)
                  .map(() => '*')
                  .join('.')}.${last}`
              : last,
            `**.${last}`,
            segs.join('.').toUpperCase(),
          ];
          for (const p of paths) {
            const sink = memorySink();
            const log = createLogger({
              base: null,
              timestamp: false,
              sink,
              redact: { paths: [p], caseInsensitive: p === paths[3], remove },
            });
            // the same paths reached as fields, as child bindings and as request context
            log.info(obj, 'm');
            log.child(obj).info('child');
            withContext(obj, () => log.info('ctx'));
            // `**` also covers the secret wherever the object is nested
            if (p === paths[2]) log.info({ again: [obj], deeper: { x: obj } });
            expect(sink.lines.length).toBeGreaterThanOrEqual(3);
            for (const l of sink.lines) expect(l).not.toContain(SECRET);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('records of repeating shapes and messages (the per-logger key cache, the last message)', () => {
  // Keys from a small set, so shapes repeat and a key moves between positions; reserved keys, a serialized key, a
  // redacted key and a binding's key among them. Each line must equal what a fresh logger (empty cache) writes.
  const names = ['a', 'b', 'path', 'status', 'msg', 'time', 'pid2', 'secret', 'ser', 'bound'];
  const rec = fc.array(fc.tuple(fc.constantFrom(...names), leaf), { maxLength: 7 }).map((es) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of es) o[k] = v;
    return o;
  });
  // messages repeat too (the last message's text is kept): plain, escaped, empty, and none
  const msgs = fc.constantFrom<string | undefined>('m', 'request completed', 'a "quoted"\nmessage', '', undefined);
  const opts = {
    base: { bound: 1 },
    timestamp: false as const,
    serializers: { ser: (v: unknown) => ({ wrapped: v }) },
    redact: ['secret'],
  };
  it('stops at maxKeys right after a plain string of a known shape with valid JSON', () => {
    const sink = memorySink();
    const log = createLogger({ timestamp: false, maxKeys: 2, sink });
    for (let i = 0; i < 3; i++) log.info({ a: 'x', b: 'y', c: 'z' }, 'm');
    for (const line of sink.lines) expect(JSON.parse(line)).toMatchObject({ a: 'x', b: 'y', '…': 'more keys omitted' });
    expect(new Set(sink.lines).size).toBe(1);
  });

  // maxKeys 3 as well: records of up to 7 keys then stop at the "more keys omitted" marker, right after a value of
  // any kind (a plain string's closing quote is joined to what follows it)
  for (const maxKeys of [200, 3]) {
    it(`writes the same text as a logger that never saw a record before (maxKeys ${maxKeys})`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(rec, fc.boolean(), msgs), { minLength: 1, maxLength: 12 }), (calls) => {
          const sink = memorySink();
          const log = createLogger({ ...opts, maxKeys, sink });
          const child = log.child({ c: 2 });
          for (const [fields, useChild, msg] of calls) {
            const l = useChild ? child : log;
            l.info(fields, msg);
            const freshSink = memorySink();
            const fresh = createLogger({ ...opts, maxKeys, sink: freshSink });
            (useChild ? fresh.child({ c: 2 }) : fresh).info(fields, msg);
            expect(sink.lines.at(-1)).toBe(freshSink.lines[0]);
            JSON.parse(sink.lines.at(-1)!);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});
