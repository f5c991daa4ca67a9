import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the demo's flaky upstream behaves. */
export type UpstreamMode = 'up' | 'down' | 'flaky' | 'slow';

/** A loopback HTTP server standing in for a dependency that fails now and then. */
export interface FlakyUpstream {
  url: string;
  server: Server;
  /** Current mode; change it to make the breaker open (down) and recover (up). */
  mode: UpstreamMode;
  /** Requests served so far, by outcome. */
  counts: { ok: number; failed: number };
  close(): Promise<void>;
}

/**
 * Starts the flaky upstream on 127.0.0.1. `GET /quote` answers a JSON quote when up, 503 with Retry-After when down,
 * fails one request in three when flaky, and answers after 2 s when slow.
 * When `cycleMs` is set the mode alternates on its own: up for `cycleMs`, down for `cycleMs / 2`, so the breaker
 * visibly opens and recovers while the demo runs.
 */
export async function startFlakyUpstream(
  opts: { port?: number; mode?: UpstreamMode; cycleMs?: number } = {},
): Promise<FlakyUpstream> {
  let n = 0;
  const quotes = [
    'Simplicity is prerequisite for reliability.',
    'Make it work, make it right, make it fast.',
    'Fail fast.',
  ];
  const state: FlakyUpstream = {
    url: '',
    server: createServer((req, res) => {
      if (req.url !== '/quote') {
        res.writeHead(404).end();
        return;
      }
      n++;
      const fail = state.mode === 'down' || (state.mode === 'flaky' && n % 3 === 0);
      if (fail) {
        state.counts.failed++;
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"unavailable"}');
        return;
      }
      const send = () => {
        state.counts.ok++;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ quote: quotes[n % quotes.length], n }));
      };
      if (state.mode === 'slow') setTimeout(send, 2000).unref();
      else send();
    }),
    mode: opts.mode ?? 'up',
    counts: { ok: 0, failed: 0 },
    close: async () => {
      if (timer) clearTimeout(timer);
      state.server.closeAllConnections();
      await new Promise<void>((r) => state.server.close(() => r()));
    },
  };
  let timer: NodeJS.Timeout | undefined;
  if (opts.cycleMs) {
    const cycle = opts.cycleMs;
    const flip = () => {
      state.mode = state.mode === 'down' ? 'up' : 'down';
      timer = setTimeout(flip, state.mode === 'down' ? cycle / 2 : cycle);
      timer.unref();
    };
    timer = setTimeout(flip, cycle);
    timer.unref();
  }
  await new Promise<void>((r) => state.server.listen(opts.port ?? 0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}
