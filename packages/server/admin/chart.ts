/** A small SVG line chart: a few series over the same time window, with a legend. No library. */
export interface Series {
  name: string;
  color: string;
  /** [time ms, value], in time order. */
  points: [number, number][];
}

const SVG = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 180;
const PAD = { left: 44, right: 8, top: 8, bottom: 20 };

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** 1, 2 or 5 times a power of ten, at least `v`. */
function nice(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((n) => n >= v) ?? 10 * p;
}

const label = (v: number) =>
  v >= 1000
    ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k`
    : v < 10 && v % 1
      ? v.toFixed(1)
      : String(Math.round(v));

/** The time axis' two ends: the window's start (e.g. `-10m`) and now. */
export interface AxisLabels {
  start: string;
  now: string;
}

export function lineChart(
  container: HTMLElement,
  series: Series[],
  windowMs: number,
  now: number,
  axis: AxisLabels = { start: `-${Math.round(windowMs / 60_000)}m`, now: 'now' },
): void {
  const from = now - windowMs;
  const top = nice(Math.max(0, ...series.flatMap((s) => s.points.map(([, v]) => v))));
  const x = (t: number) => PAD.left + ((t - from) / windowMs) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': series.map((s) => s.name).join(', '),
  });
  for (const v of [0, top / 2, top]) {
    root.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), stroke: '#eaeef2' }));
    const text = svg('text', {
      x: PAD.left - 6,
      y: y(v) + 4,
      'text-anchor': 'end',
      'font-size': 11,
      fill: '#656d76',
    });
    text.textContent = label(v);
    root.append(text);
  }
  for (const [t, text] of [
    [from, axis.start],
    [now, axis.now],
  ] as const) {
    const el = svg('text', {
      x: x(t),
      y: H - 4,
      'text-anchor': t === now ? 'end' : 'start',
      'font-size': 11,
      fill: '#656d76',
      'data-axis': t === now ? 'now' : 'start',
    });
    el.textContent = text;
    root.append(el);
  }
  for (const s of series) {
    const shown = s.points.filter(([t]) => t >= from);
    if (shown.length === 0) continue;
    const d = shown.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    root.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name }));
  }
  const legend = document.createElement('div');
  legend.className = 'legend';
  for (const s of series) {
    const item = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.style.background = s.color;
    const last = s.points.at(-1)?.[1] ?? 0;
    item.append(swatch, `${s.name}: ${label(last)}`);
    legend.append(item);
  }
  container.replaceChildren(root, legend);
}
