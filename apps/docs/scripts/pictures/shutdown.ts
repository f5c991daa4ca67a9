// Health probes during a graceful shutdown, as @org/health's gracefulShutdown() runs it
// (packages/health/src/shutdown.ts, health.ts). The lanes below are the facts the picture shows; test/pictures.test.ts
// runs a real server through a shutdown and checks each fact marked `checked` against what a client sees.
import { box, COLORS, line, svgDocument, text, wrap } from '../lib/svg.js';

/** The options of the run drawn (the defaults under Kubernetes). */
export const SHUTDOWN_OPTIONS = {
  preStopDelayMs: 5_000,
  drainTimeoutMs: 10_000,
  hookTimeoutMs: 5_000,
  deadlineMs: 25_000,
};
/** When the example run's last in-flight request ends, and how long its two hooks take. */
export const SHUTDOWN_EXAMPLE = { drainedAtMs: 9_000, hookMs: [1_200, 800] as const };

type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'off';
/** A stretch of one lane: from/to in ms since the signal. */
export interface Segment {
  from: number;
  to: number;
  label: string;
  tone: Tone;
}
/** One lane of the picture. */
export interface Lane {
  name: string;
  segments: Segment[];
}

const o = SHUTDOWN_OPTIONS;
const e = SHUTDOWN_EXAMPLE;
const hooksEnd = e.drainedAtMs + e.hookMs[0] + e.hookMs[1];
const BEFORE = -3_000;

export const SHUTDOWN_LANES: Lane[] = [
  {
    name: 'phase',
    segments: [
      { from: BEFORE, to: 0, label: 'running', tone: 'ok' },
      { from: 0, to: o.preStopDelayMs, label: "'draining' (preStopDelayMs)", tone: 'warn' },
      { from: o.preStopDelayMs, to: e.drainedAtMs, label: "'closing'", tone: 'warn' },
      { from: e.drainedAtMs, to: hooksEnd, label: "'hooks'", tone: 'info' },
      { from: hooksEnd, to: hooksEnd + 900, label: 'exit(0)', tone: 'off' },
    ],
  },
  {
    name: 'GET /readyz',
    segments: [
      { from: BEFORE, to: 0, label: '200 pass', tone: 'ok' },
      { from: 0, to: o.preStopDelayMs, label: '503 fail: draining', tone: 'bad' },
      { from: o.preStopDelayMs, to: hooksEnd + 900, label: 'connection refused (the listener is closed)', tone: 'off' },
    ],
  },
  {
    name: 'GET /livez',
    segments: [
      { from: BEFORE, to: 0, label: '200 pass', tone: 'ok' },
      { from: 0, to: o.preStopDelayMs, label: '200 pass: draining never fails liveness', tone: 'ok' },
      { from: o.preStopDelayMs, to: hooksEnd + 900, label: 'connection refused', tone: 'off' },
    ],
  },
  {
    name: 'new connections',
    segments: [
      { from: BEFORE, to: o.preStopDelayMs, label: 'accepted', tone: 'ok' },
      {
        from: o.preStopDelayMs,
        to: hooksEnd + 900,
        label: 'server.close(): refused; idle keep-alive sockets closed',
        tone: 'off',
      },
    ],
  },
  {
    name: 'in-flight requests',
    segments: [
      { from: BEFORE, to: 0, label: 'served', tone: 'ok' },
      { from: 0, to: e.drainedAtMs, label: 'finish, answered with Connection: close', tone: 'info' },
    ],
  },
  {
    name: 'hooks (reverse order)',
    segments: [
      { from: e.drainedAtMs, to: e.drainedAtMs + e.hookMs[0], label: 'hook 2', tone: 'info' },
      { from: e.drainedAtMs + e.hookMs[0], to: hooksEnd, label: 'hook 1', tone: 'info' },
    ],
  },
];

/** Limits drawn as vertical lines: what happens if a step runs long. */
export const SHUTDOWN_LIMITS = [
  {
    at: o.preStopDelayMs + o.drainTimeoutMs,
    label: 'drainTimeoutMs after the close: requests still running have their sockets destroyed (exit code 1)',
    tone: 'warn' as Tone,
  },
  {
    at: o.deadlineMs,
    label: 'deadlineMs after the signal: exit(1), whatever is still running',
    tone: 'bad' as Tone,
  },
];

const TONE: Record<Tone, [string, string]> = {
  ok: [COLORS.okFill, COLORS.ok],
  bad: [COLORS.badFill, COLORS.bad],
  warn: [COLORS.warnFill, COLORS.warn],
  info: [COLORS.infoFill, COLORS.info],
  off: [COLORS.offFill, COLORS.off],
};

const W = 980;
const LEFT = 170;
const RIGHT = 30;
const LANE = 48;
const TOP = 50;
const END = 26_000;
/** The axis is linear up to BREAK, then compressed (nothing but the deadline happens there in this run). */
const BREAK = 16_000;
const BREAK_SHARE = 0.84;

/** The SVG of the shutdown timeline. */
export function shutdownSvg(): string {
  const span = W - LEFT - RIGHT;
  const x = (ms: number): number =>
    ms <= BREAK
      ? LEFT + (span * BREAK_SHARE * (ms - BEFORE)) / (BREAK - BEFORE)
      : LEFT + span * BREAK_SHARE + (span * (1 - BREAK_SHARE) * (ms - BREAK)) / (END - BREAK);
  const body: string[] = [];
  const bottom = TOP + SHUTDOWN_LANES.length * LANE;
  for (const s of [0, 5, 10, 15, 25]) {
    body.push(line(x(s * 1000), TOP - 4, x(s * 1000), bottom + 4, { color: COLORS.offFill }));
    body.push(text(x(s * 1000), bottom + 20, `${s} s`, { size: 11, anchor: 'middle', fill: COLORS.muted }));
  }
  // the break in the axis
  const xb = x(BREAK + 1_000);
  body.push(text(xb, bottom + 20, '≈', { size: 14, anchor: 'middle', fill: COLORS.muted }));
  SHUTDOWN_LANES.forEach((lane, i) => {
    const y = TOP + i * LANE;
    body.push(
      text(LEFT - 10, y + 28, lane.name, {
        size: 12,
        anchor: 'end',
        weight: 'bold',
        mono: lane.name.startsWith('GET'),
      }),
    );
    for (const s of lane.segments) {
      const [fill, stroke] = TONE[s.tone];
      const from = x(s.from);
      const to = x(s.to);
      body.push(box(from + 1, y + 7, to - from - 2, LANE - 14, { fill, stroke, r: 5, width: 1.2 }));
      const one = wrap(s.label, to - from - 12, 11);
      const two = wrap(s.label, to - from - 10, 10);
      if (one.length === 1) body.push(text(from + 7, y + 28, s.label, { size: 11, fill: stroke, weight: 'bold' }));
      else if (two.length <= 2)
        body.push(text(from + 6, y + (two.length === 1 ? 28 : 22), two, { size: 10, fill: stroke, leading: 12 }));
    }
  });
  // the signal
  body.push(line(x(0), TOP - 24, x(0), bottom, { color: COLORS.ink, width: 2 }));
  body.push(
    text(x(0), TOP - 30, 'SIGTERM: health.drain(), Connection: close on every response', { size: 12, weight: 'bold' }),
  );
  // limits
  SHUTDOWN_LIMITS.forEach((l, i) => {
    const color = TONE[l.tone][1];
    body.push(line(x(l.at), TOP - 8, x(l.at), bottom + 30 + i * 34, { color, dash: true, width: 2 }));
    body.push(
      text(x(l.at) - 6, bottom + 44 + i * 34, wrap(l.label, 460, 11), { size: 11, fill: color, anchor: 'end' }),
    );
  });
  // labels that did not fit their bar
  let ny = bottom + 110;
  const notes = SHUTDOWN_LANES.flatMap((lane) =>
    lane.segments
      .filter((s) => wrap(s.label, x(s.to) - x(s.from) - 10, 10).length > 2)
      .map((s) => `${lane.name}, ${(s.from / 1000).toFixed(1)}–${(s.to / 1000).toFixed(1)} s: ${s.label}`),
  );
  for (const n of notes) {
    body.push(text(LEFT, ny, n, { size: 11, fill: COLORS.muted }));
    ny += 16;
  }
  const opts = `preStopDelayMs ${o.preStopDelayMs}, drainTimeoutMs ${o.drainTimeoutMs}, hookTimeoutMs ${o.hookTimeoutMs}, deadlineMs ${o.deadlineMs} (the defaults under Kubernetes); the last request ends at ${e.drainedAtMs / 1000} s, the two hooks take ${e.hookMs[0] / 1000} s and ${e.hookMs[1] / 1000} s`;
  const optLines = wrap(opts, W - LEFT - RIGHT, 11);
  body.push(text(LEFT, ny + 6, optLines, { size: 11, fill: COLORS.muted }));
  const H = ny + 6 + optLines.length * 15 + 10;
  return svgDocument(
    W,
    H,
    'Health probes during a graceful shutdown',
    'Readiness, liveness, new connections, in-flight requests and hooks on one time axis during gracefulShutdown() of @org/health/node, with the drain timeout and the deadline.',
    body,
  );
}
