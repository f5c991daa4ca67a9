// A few SVG primitives for pictures drawn from data: text is escaped, sizes are explicit, no fonts or scripts are
// fetched. Every picture is a plain string, so the same source renders on the site and in a test.

/** Escapes text for SVG content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The site's palette: one colour per meaning, readable on light and dark backgrounds (the SVG has its own). */
export const COLORS = {
  ink: '#1f2328',
  muted: '#57606a',
  line: '#8c959f',
  paper: '#ffffff',
  panel: '#f6f8fa',
  ok: '#1a7f37',
  okFill: '#dafbe1',
  warn: '#9a6700',
  warnFill: '#fff8c5',
  bad: '#cf222e',
  badFill: '#ffebe9',
  info: '#0969da',
  infoFill: '#ddf4ff',
  off: '#6e7781',
  offFill: '#eaeef2',
} as const;

const FONT = 'font-family="ui-sans-serif, system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const MONO = 'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"';

/** Average glyph width of the sans font at `size`, for wrapping (a little generous, so text never overflows). */
export const charWidth = (size: number, mono = false): number => size * (mono ? 0.62 : 0.56);

/** Splits `text` into lines of at most `width` pixels at `size`. */
export function wrap(text: string, width: number, size: number, mono = false): string[] {
  const max = Math.max(1, Math.floor(width / charWidth(size, mono)));
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= max) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

/** Text options. */
export interface TextOpts {
  size?: number;
  weight?: number | 'bold';
  fill?: string;
  anchor?: 'start' | 'middle' | 'end';
  mono?: boolean;
  /** Line height in px; default 1.3 × size. */
  leading?: number;
}

/** One or more lines of text; `y` is the first line's baseline. */
export function text(x: number, y: number, lines: string | string[], o: TextOpts = {}): string {
  const size = o.size ?? 13;
  const list = Array.isArray(lines) ? lines : [lines];
  const lead = o.leading ?? Math.round(size * 1.3);
  const attrs = [
    `x="${x}"`,
    `y="${y}"`,
    `font-size="${size}"`,
    o.mono ? MONO : FONT,
    `fill="${o.fill ?? COLORS.ink}"`,
    o.anchor && o.anchor !== 'start' ? `text-anchor="${o.anchor}"` : '',
    o.weight !== undefined ? `font-weight="${o.weight}"` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (list.length === 1) return `<text ${attrs}>${esc(list[0]!)}</text>`;
  const spans = list.map((l, i) => `<tspan x="${x}" dy="${i === 0 ? 0 : lead}">${esc(l)}</tspan>`).join('');
  return `<text ${attrs}>${spans}</text>`;
}

/** A rounded rectangle. */
export function box(
  x: number,
  y: number,
  w: number,
  h: number,
  o: { fill?: string; stroke?: string; r?: number; dash?: boolean; width?: number } = {},
): string {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${o.r ?? 8}" fill="${o.fill ?? COLORS.paper}" stroke="${o.stroke ?? COLORS.line}" stroke-width="${o.width ?? 1.5}"${o.dash ? ' stroke-dasharray="6 4"' : ''}/>`;
}

/** A line or path with an arrow head at its end (the marker is defined by {@link svgDocument}). */
export function arrow(d: string, o: { color?: string; dash?: boolean; width?: number } = {}): string {
  const color = o.color ?? COLORS.line;
  const id = markerId(color);
  return `<path d="${d}" fill="none" stroke="${color}" stroke-width="${o.width ?? 1.6}"${o.dash ? ' stroke-dasharray="6 4"' : ''} marker-end="url(#${id})"/>`;
}

const markerId = (color: string): string => `arrow-${color.replace(/[^a-z0-9]/gi, '')}`;

/** A straight line. */
export function line(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  o: { color?: string; dash?: boolean; width?: number } = {},
): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${o.color ?? COLORS.line}" stroke-width="${o.width ?? 1}"${o.dash ? ' stroke-dasharray="4 4"' : ''}/>`;
}

/** A pill with centred text (a status code, a state). Width grows with the text. */
export function pill(
  x: number,
  y: number,
  label: string,
  fill: string,
  color: string,
  size = 12,
): { svg: string; w: number } {
  const w = Math.ceil(label.length * charWidth(size, true) + 14);
  const h = size + 10;
  return {
    svg: `${box(x, y, w, h, { fill, stroke: color, r: h / 2, width: 1.2 })}${text(x + w / 2, y + h / 2 + size * 0.36, label, { size, mono: true, anchor: 'middle', fill: color, weight: 'bold' })}`,
    w,
  };
}

/**
 * A complete SVG document of the given size with a title and description (read by screen readers), a white
 * background (the site may be dark) and the arrow markers used by `arrow()`.
 */
export function svgDocument(width: number, height: number, title: string, desc: string, body: string[]): string {
  const colors = new Set<string>(Object.values(COLORS));
  const markers = [...colors]
    .map(
      (c) =>
        `<marker id="${markerId(c)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="t d">`,
    `<title id="t">${esc(title)}</title>`,
    `<desc id="d">${esc(desc)}</desc>`,
    `<defs>${markers}</defs>`,
    `<rect width="${width}" height="${height}" fill="${COLORS.paper}"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
