import { createLogger } from '@org/logger';
import { describe, expect, it } from 'vitest';
import type { LoggerLike } from './contracts.js';
import { logRequest } from './request-log.js';

describe('logRequest', () => {
  it("writes the same line through @org/logger's prepared record as through (fields, msg) calls", () => {
    const lines: string[] = [];
    const log = createLogger({ base: { pid: 1 }, clock: () => 1_764_000_000_000, sink: (l) => lines.push(l) });
    // the same logger without prepare(), as a pino-style logger is called
    const withoutPrepare = (l: LoggerLike): LoggerLike => ({
      info: (f, m) => l.info(f, m),
      warn: (f, m) => l.warn(f, m),
      error: (f, m) => l.error(f, m),
    });
    const child = log.child({ svc: 'api' });
    const cases: Array<[string | undefined, number, string, boolean]> = [
      ['9e5754c0-4db7-4ebb-b8fe-37e57a916b0b', 200, '127.0.0.1', false],
      [undefined, 404, '::1', true],
      ['id "quoted"', 500, '10.0.0.1', false],
    ];
    for (const logger of [log, child]) {
      for (const [id, status, ip, aborted] of cases) {
        lines.length = 0;
        // t0 = -Infinity: durationMs is Infinity on both paths, whatever the clock reads between the two calls
        logRequest(logger, id, 'GET', '/a', status, Number.NEGATIVE_INFINITY, ip, aborted);
        logRequest(withoutPrepare(logger), id, 'GET', '/a', status, Number.NEGATIVE_INFINITY, ip, aborted);
        expect(lines).toHaveLength(2);
        expect(lines[0]).toBe(lines[1]);
        const rec = JSON.parse(lines[0]!);
        expect(rec).toMatchObject({ method: 'GET', path: '/a', status, ip, msg: 'request completed' });
        expect(rec.level).toBe(status >= 500 ? 50 : status >= 400 ? 40 : 30);
        expect(rec.requestId).toBe(id);
        expect(rec.aborted).toBe(aborted ? true : undefined);
      }
    }
  });
});
