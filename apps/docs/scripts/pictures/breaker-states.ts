// The circuit breaker's state machine, as @org/breaker implements it (packages/breaker/src/breaker.ts). The facts are
// in BREAKER_MACHINE; test/pictures.test.ts drives a real breaker through every transition listed here and checks
// the stateChange events and the rejections against it, so the picture cannot drift from the code unnoticed.
import { arrow, box, COLORS, svgDocument, text, wrap } from '../lib/svg.js';

/** A state, and what a call meets in it. */
export interface StateFact {
  id: 'closed' | 'open' | 'half-open' | 'isolated';
  /** What happens to a call. */
  admission: string;
  /** The rejection a caller gets (`tryExecute`), when calls are rejected here. */
  rejects?: { reason: 'open' | 'half-open' | 'isolated'; retryAfterMs: 'time left' | '0' | 'Infinity' };
}

/** A transition: the `stateChange` event's `from`, `to` and `reason`, and what causes it. */
export interface TransitionFact {
  id: string;
  from: ReadonlyArray<StateFact['id']>;
  to: StateFact['id'];
  reasons: readonly string[];
  label: string;
}

export const BREAKER_MACHINE: { states: StateFact[]; transitions: TransitionFact[] } = {
  states: [
    { id: 'closed', admission: 'admits every call and records its outcome in the window' },
    {
      id: 'open',
      admission: 'rejects every call until openMs has passed',
      rejects: { reason: 'open', retryAfterMs: 'time left' },
    },
    {
      id: 'half-open',
      admission: 'admits halfOpenMaxCalls trial calls at once; rejects the others',
      rejects: { reason: 'half-open', retryAfterMs: '0' },
    },
    {
      id: 'isolated',
      admission: 'rejects every call until every isolate() handle is released',
      rejects: { reason: 'isolated', retryAfterMs: 'Infinity' },
    },
  ],
  transitions: [
    {
      id: 'trip',
      from: ['closed'],
      to: 'open',
      reasons: ['consecutive-failures', 'failure-rate', 'slow-call-rate'],
      label:
        'consecutiveFailures failures in a row, or (once the window holds minimumCalls calls) the failure rate or slow-call rate reaches its threshold',
    },
    {
      id: 'elapsed',
      from: ['open'],
      to: 'half-open',
      reasons: ['open-elapsed'],
      label: 'openMs has passed: seen by the next call or state read (no timer)',
    },
    {
      id: 'recover',
      from: ['half-open'],
      to: 'closed',
      reasons: ['half-open-success'],
      label: 'halfOpenSuccesses trials succeed (the window starts empty)',
    },
    {
      id: 'relapse',
      from: ['half-open'],
      to: 'open',
      reasons: ['half-open-failure'],
      label: 'a trial fails or is slow: open again, for the next openMs backoff step',
    },
    {
      id: 'isolate',
      from: ['closed', 'open', 'half-open'],
      to: 'isolated',
      reasons: ['isolate'],
      label: 'isolate() from any state',
    },
    {
      id: 'release',
      from: ['isolated'],
      to: 'closed',
      reasons: ['release', 'reset'],
      label: 'the last handle is released, or reset()',
    },
    {
      id: 'reset',
      from: ['open', 'half-open'],
      to: 'closed',
      reasons: ['reset'],
      label: 'reset() from any state closes the circuit',
    },
  ],
};

const W = 960;
const H = 640;
/** Box of each state: x, y, width, height. */
const AT: Record<StateFact['id'], [number, number, number, number]> = {
  closed: [40, 180, 240, 120],
  open: [680, 180, 240, 120],
  'half-open': [360, 420, 240, 120],
  isolated: [360, 20, 240, 110],
};
const FILL: Record<StateFact['id'], [string, string]> = {
  closed: [COLORS.okFill, COLORS.ok],
  open: [COLORS.badFill, COLORS.bad],
  'half-open': [COLORS.warnFill, COLORS.warn],
  isolated: [COLORS.offFill, COLORS.off],
};

function stateBox(s: StateFact): string {
  const [x, y, w, h] = AT[s.id];
  const [fill, stroke] = FILL[s.id];
  const lines = wrap(s.admission, w - 24, 12);
  const rej = s.rejects
    ? wrap(`reason '${s.rejects.reason}', retryAfterMs ${s.rejects.retryAfterMs}`, w - 24, 11, true)
    : [];
  return [
    box(x, y, w, h, { fill, stroke, width: 2 }),
    text(x + 12, y + 24, s.id, { size: 16, weight: 'bold', fill: stroke, mono: true }),
    text(x + 12, y + 46, lines, { size: 12 }),
    rej.length ? text(x + 12, y + 50 + lines.length * 16, rej, { size: 11, mono: true, fill: COLORS.muted }) : '',
  ].join('');
}

const tr = (id: string): TransitionFact => {
  const t = BREAKER_MACHINE.transitions.find((x) => x.id === id);
  if (t === undefined) throw new Error(`breaker picture: no transition ${id}`);
  return t;
};

function label(x: number, y: number, t: TransitionFact, width: number, color: string = COLORS.ink): string {
  const lines = wrap(t.label, width, 12);
  const reasons = wrap(t.reasons.map((r) => `'${r}'`).join(' | '), width, 11, true);
  return [
    text(x, y, lines, { size: 12, fill: color }),
    text(x, y + lines.length * 16, reasons, { size: 11, mono: true, fill: COLORS.muted, leading: 14 }),
  ].join('');
}

/** The SVG of the breaker's state machine. */
export function breakerStatesSvg(): string {
  const body: string[] = [];
  // closed → open, straight across
  body.push(arrow('M 280 240 L 676 240', { color: COLORS.bad, width: 2 }));
  body.push(label(300, 156, tr('trip'), 370, COLORS.bad));
  // open → half-open, round the right
  body.push(arrow('M 880 300 C 880 430, 760 480, 604 480', { color: COLORS.warn, width: 2 }));
  body.push(label(640, 560, tr('elapsed'), 300, COLORS.warn));
  // half-open → closed, round the left
  body.push(arrow('M 360 480 C 250 480, 160 440, 160 304', { color: COLORS.ok, width: 2 }));
  body.push(label(20, 560, tr('recover'), 320, COLORS.ok));
  // half-open → open (relapse)
  body.push(arrow('M 580 420 C 620 370, 660 320, 716 304', { color: COLORS.bad, width: 2 }));
  body.push(label(330, 330, tr('relapse'), 240, COLORS.bad));
  // any → isolated
  body.push(arrow('M 800 180 C 800 110, 720 75, 604 75', { color: COLORS.off, dash: true }));
  body.push(label(640, 24, tr('isolate'), 300, COLORS.off));
  // isolated → closed
  body.push(arrow('M 360 75 C 240 75, 160 110, 160 176', { color: COLORS.ok }));
  body.push(label(20, 24, tr('release'), 200, COLORS.ok));
  for (const s of BREAKER_MACHINE.states) body.push(stateBox(s));
  body.push(
    text(20, H - 14, `${tr('reset').label} ('reset'). restore(snapshot) sets any state ('restore').`, {
      size: 12,
      fill: COLORS.muted,
    }),
  );
  return svgDocument(
    W,
    H,
    'Circuit breaker states',
    'The four states of @org/breaker (closed, open, half-open, isolated), what each does with a call, and every transition with its stateChange reason.',
    body,
  );
}

/** Size of the picture, for the page and the browser test. */
export const BREAKER_STATES_SIZE = { width: W, height: H } as const;
