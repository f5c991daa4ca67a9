// A key rotation over three days, as @org/crypto's keyring does it (packages/crypto/src/keyring.ts, keys.ts). The
// steps and the key states after each are in ROTATION_SCENARIO; test/pictures.test.ts replays them on a real keyring
// with an injected clock and checks every state, so the picture stays true to the code.
import { box, COLORS, line, svgDocument, text, wrap } from '../lib/svg.js';

/** A key's state, as `keyring.list()` reports it. */
export type KeyStateName = 'primary' | 'active' | 'decrypt-only' | 'disabled';

/** What is done at a step, replayed by the test. */
export type RotationAction =
  | { do: 'create' }
  | { do: 'encrypt' }
  | { do: 'stage' }
  | { do: 'rewrap-and-disable'; key: string };

/** One step of the timeline. */
export interface RotationStep {
  /** Hours since the keyring was created. */
  atHours: number;
  action: RotationAction;
  /** What the picture says about the step. */
  label: string;
  /** Every key's state after the step, by its name in the picture (k1, k2, k3: in order of creation). */
  states: Record<string, KeyStateName>;
}

export const ROTATION_SCENARIO: { rotateAfterHours: number; endHours: number; steps: RotationStep[] } = {
  rotateAfterHours: 24,
  endHours: 72,
  steps: [
    {
      atHours: 0,
      action: { do: 'create' },
      label: 'createKeyring() on an empty store: k1 is generated and becomes primary (reason initial)',
      states: { k1: 'primary' },
    },
    {
      atHours: 24,
      action: { do: 'encrypt' },
      label:
        'The first encryption once k1 has been primary for rotateAfterMs (24 h): rotation by age. k2 is generated and becomes primary; k1 is decrypt-only and still opens old messages',
      states: { k1: 'decrypt-only', k2: 'primary' },
    },
    {
      atHours: 40,
      action: { do: 'stage' },
      label: 'stage(): k3 is added as active, so every process can load it before anything is encrypted under it',
      states: { k1: 'decrypt-only', k2: 'primary', k3: 'active' },
    },
    {
      atHours: 48,
      action: { do: 'encrypt' },
      label: 'The next rotation by age promotes the staged k3 instead of generating a key; k2 becomes decrypt-only',
      states: { k1: 'decrypt-only', k2: 'decrypt-only', k3: 'primary' },
    },
    {
      atHours: 60,
      action: { do: 'rewrap-and-disable', key: 'k1' },
      label:
        "rewrap() has moved every message off k1; setState(k1, 'disabled'): decrypting with it now throws ERR_KEY_DISABLED. Keys are never deleted: it can be enabled again",
      states: { k1: 'disabled', k2: 'decrypt-only', k3: 'primary' },
    },
  ],
};

const FILL: Record<KeyStateName, [string, string]> = {
  primary: [COLORS.okFill, COLORS.ok],
  active: [COLORS.infoFill, COLORS.info],
  'decrypt-only': [COLORS.warnFill, COLORS.warn],
  disabled: [COLORS.offFill, COLORS.off],
};
const MEANING: Record<KeyStateName, string> = {
  primary: 'encrypts new messages and decrypts',
  active: 'decrypts; staged to be the next primary',
  'decrypt-only': 'decrypts old messages, never encrypts',
  disabled: 'kept, but refuses to decrypt',
};

const W = 960;
const LEFT = 80;
const RIGHT = 40;
const LANE = 44;
const TOP = 40;

/** The SVG of the key rotation timeline. */
export function keyRotationSvg(): string {
  const s = ROTATION_SCENARIO;
  const keys = [...new Set(s.steps.flatMap((st) => Object.keys(st.states)))];
  const x = (h: number): number => LEFT + ((W - LEFT - RIGHT) * h) / s.endHours;
  const body: string[] = [];
  const lanesBottom = TOP + keys.length * LANE;
  // time axis
  for (let h = 0; h <= s.endHours; h += 12) {
    body.push(line(x(h), TOP - 6, x(h), lanesBottom + 6, { color: COLORS.offFill }));
    body.push(text(x(h), lanesBottom + 22, `${h} h`, { size: 11, anchor: 'middle', fill: COLORS.muted }));
  }
  // one lane per key: a bar per state period
  keys.forEach((k, i) => {
    const y = TOP + i * LANE;
    body.push(text(LEFT - 12, y + 26, k, { size: 14, weight: 'bold', anchor: 'end', mono: true }));
    // periods of one state: a new bar only where the state changes
    const periods: Array<{ state: KeyStateName; from: number; to: number }> = [];
    s.steps.forEach((st, j) => {
      const state = st.states[k];
      const to = s.steps[j + 1]?.atHours ?? s.endHours;
      if (state === undefined) return;
      const last = periods[periods.length - 1];
      if (last !== undefined && last.state === state && last.to === st.atHours) last.to = to;
      else periods.push({ state, from: st.atHours, to });
    });
    for (const p of periods) {
      const [fill, stroke] = FILL[p.state];
      const from = x(p.from);
      const to = x(p.to);
      body.push(box(from + 1, y + 8, to - from - 2, LANE - 16, { fill, stroke, r: 5, width: 1.2 }));
      if (to - from > 70)
        body.push(text(from + 8, y + 26, p.state, { size: 11, mono: true, fill: stroke, weight: 'bold' }));
    }
  });
  // numbered step markers on the axis, explained below
  s.steps.forEach((st, j) => {
    body.push(line(x(st.atHours), TOP - 10, x(st.atHours), lanesBottom, { color: COLORS.ink, dash: true }));
    body.push(`<circle cx="${x(st.atHours)}" cy="${TOP - 18}" r="10" fill="${COLORS.ink}"/>`);
    body.push(
      text(x(st.atHours), TOP - 14, String(j + 1), { size: 11, anchor: 'middle', fill: COLORS.paper, weight: 'bold' }),
    );
  });
  // legend: what each state does, two per row
  let ly = lanesBottom + 50;
  (Object.keys(FILL) as KeyStateName[]).forEach((st, i) => {
    const [fill, stroke] = FILL[st];
    const lx = LEFT + (i % 2) * 420;
    const y = ly + Math.floor(i / 2) * 22;
    body.push(box(lx, y - 12, 16, 16, { fill, stroke, r: 3, width: 1.2 }));
    body.push(text(lx + 24, y + 1, `${st}: ${MEANING[st]}`, { size: 12, fill: COLORS.ink }));
  });
  ly += 22;
  // the steps
  ly += 34;
  s.steps.forEach((st, j) => {
    const lines = wrap(st.label, W - LEFT - RIGHT - 40, 12);
    body.push(`<circle cx="${LEFT + 8}" cy="${ly - 4}" r="9" fill="${COLORS.ink}"/>`);
    body.push(text(LEFT + 8, ly, String(j + 1), { size: 10, anchor: 'middle', fill: COLORS.paper, weight: 'bold' }));
    body.push(text(LEFT + 28, ly, [`at ${st.atHours} h: ${lines[0]}`, ...lines.slice(1)], { size: 12 }));
    ly += lines.length * 16 + 10;
  });
  const H = ly + 6;
  return svgDocument(
    W,
    H,
    'Key rotation timeline',
    'Three keys of an @org/crypto keyring over 72 hours: which one is primary, active, decrypt-only or disabled, and the step that changed it.',
    body,
  );
}
