import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import fc from 'fast-check';
import { parseList } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { type HeaderFormat, rateLimiter, rateLimiters, rateLimitHeaders } from '../src/index.js';

// Policy names end up inside the RateLimit and RateLimit-Policy fields (as sf-strings) and, for the per-window legacy
// format, inside header names: a name that cannot be written there must be refused when the limiter is built, never
// on a request.

const FORMATS: HeaderFormat[] = ['draft-11', 'draft-10', 'draft-7', 'draft-6', 'legacy', 'legacy-window'];

/** A real ServerResponse (not attached to a server): its setHeader applies Node's own header checks. */
const response = (): ServerResponse => new ServerResponse(new IncomingMessage(new Socket()));

describe('policy names', () => {
  it.each([
    ['café', 'é', 'U+00E9'],
    ['☃', '☃', 'U+2603'],
    ['a\x01', '\\u0001', 'U+0001'],
    ['a\x7f', '\\u007f', 'U+007F'],
    ['two words', ' ', 'U+0020'],
    ['"q"', '"', 'U+0022'],
    ['a\\b', '\\\\', 'U+005C'],
    ['{tag}', '{', 'U+007B'],
  ])('refuses %j at construction, naming the character', (name, shown, code) => {
    const msg = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(TypeError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(name)}`);
    };
    const one = msg(() => rateLimiter({ name, limit: 1, windowMs: 1000 }));
    expect(one).toContain('rateLimiter: name');
    expect(one).toContain(code);
    expect(one).toContain(JSON.stringify(name));
    expect(one).toContain(shown === ' ' ? 'U+0020' : code);
    const group = msg(() =>
      rateLimiters([
        { name: 'ok', limit: 1, windowMs: 1000 },
        { name, limit: 1, windowMs: 1000 },
      ]),
    );
    expect(group).toContain('rateLimiters: policies[1]: name');
    expect(group).toContain(code);
  });

  it('refuses an empty name and a non-string name', () => {
    expect(() => rateLimiter({ name: '', limit: 1, windowMs: 1000 })).toThrow(/name must be a non-empty string/);
    expect(() => rateLimiter({ name: 42 as unknown as string, limit: 1, windowMs: 1000 })).toThrow(
      /name must be a non-empty string/,
    );
  });

  it('accepts every printable ASCII character except space, quotes, backslash and braces', () => {
    let all = '';
    for (let c = 0x21; c <= 0x7e; c++) if (!'"\\{}'.includes(String.fromCharCode(c))) all += String.fromCharCode(c);
    const l = rateLimiter({ name: all, limit: 1, windowMs: 1000 });
    expect(l.policies[0]!.name).toBe(all);
  });

  it('any accepted name yields headers that setHeader accepts and a structured-field parser reads back', async () => {
    const nameArb = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
      fc.string({
        unit: fc.constantFrom('a', 'Z', '-', ';', ',', '=', ':', '(', '*', '%', ' ', 'é', '\x7f', '\t'),
        minLength: 1,
        maxLength: 8,
      }),
    );
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(nameArb, fc.integer({ min: 1, max: 5 }), async (name, cost) => {
        let group: ReturnType<typeof rateLimiters>;
        try {
          group = rateLimiters([
            { name, limit: 3, windowMs: 60_000 },
            { name: `${name}-day`, limit: 10, windowMs: 86_400_000, quotaUnit: 'content-bytes' },
          ]);
        } catch (e) {
          expect(e).toBeInstanceOf(TypeError);
          return;
        }
        accepted++;
        for (const d of [
          await group.consume('k', { cost: Math.min(cost, 3) }),
          await group.consume('k', { cost: 3 }),
        ]) {
          for (const format of FORMATS) {
            const h = rateLimitHeaders(d, { format });
            const res = response();
            for (const [k, v] of Object.entries(h)) res.setHeader(k, v);
            if (format === 'draft-10' || format === 'draft-11') {
              const policy = parseList(h['RateLimit-Policy']!);
              const current = parseList(h.RateLimit!);
              expect(policy.map(([v]) => v)).toEqual([name, `${name}-day`]);
              expect(current.map(([v]) => v)).toEqual([name, `${name}-day`]);
              expect(policy[1]![1].get('qu')).toBe('content-bytes');
              expect(policy[0]![1].has('qu')).toBe(false);
            }
          }
        }
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});
