/* global document */
// Small SVG charts for the admin pages, drawn by our own code (no library, no CDN: the broker
// must work offline). Each takes a plain data array, so a page can feed it from any route:
//   barChart(svg, [{ label, value }])   vertical bars (volume per time window)
//   hBarChart(svg, [{ label, value }])  horizontal bars with a label each (outcomes, reasons)
//   lineChart(svg, values, { slots })   a line with a point per value (live metrics)
// The geometry is computed by pure functions (exported, unit-tested); labels are text nodes.
const NS = 'http://www.w3.org/2000/svg';

const svgEl = (tag, attrs = {}, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least 1. */
export const niceMax = (max) => {
  if (!(max > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max) ?? max;
};

const num = (v) => (Number.isFinite(v) && v > 0 ? v : 0);

/** Vertical bars filling the plot box left to right; zero-height bars still get a slot. */
export const barGeometry = (values, { x0, y0, width, height }) => {
  const top = niceMax(Math.max(0, ...values.map(num)));
  const slot = values.length > 0 ? width / values.length : width;
  const gap = Math.min(4, slot * 0.2);
  return {
    top,
    bars: values.map((v, i) => {
      const h = (num(v) / top) * height;
      return { x: x0 + i * slot + gap / 2, y: y0 + height - h, width: Math.max(1, slot - gap), height: h };
    }),
  };
};

/** Points of a line over `slots` positions, the newest on the right (fewer values start later). */
export const lineGeometry = (values, { x0, y0, width, height }, slots = values.length) => {
  const top = niceMax(Math.max(0, ...values.map(num)));
  const n = Math.max(slots, values.length);
  const step = n > 1 ? width / (n - 1) : 0;
  const offset = n - values.length;
  return {
    top,
    points: values.map((v, i) => ({ x: x0 + (i + offset) * step, y: y0 + height - (num(v) / top) * height })),
  };
};

const frame = (svg, w, h, label) => {
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('role', 'img');
  if (label) svg.setAttribute('aria-label', label);
};

// The drawing's own size is the element's (so text keeps its size); a fallback before layout.
const sized = (svg, fallback) => (svg.clientWidth > 0 ? svg.clientWidth : fallback);
const tall = (svg, fallback) => (svg.clientHeight > 0 ? svg.clientHeight : fallback);

const fmt = (v) => (Number.isInteger(v) ? v.toLocaleString() : v.toFixed(1));

/** Vertical bars; every k-th label under its bar so labels never overlap. */
export const barChart = (svg, data, { width = sized(svg, 600), height = tall(svg, 200), title = '' } = {}) => {
  frame(svg, width, height, title);
  const box = { x0: 40, y0: 10, width: width - 50, height: height - 40 };
  const { top, bars } = barGeometry(
    data.map((d) => d.value),
    box,
  );
  svg.append(
    svgEl('line', {
      x1: box.x0,
      y1: box.y0 + box.height,
      x2: box.x0 + box.width,
      y2: box.y0 + box.height,
      class: 'axis',
    }),
    svgEl('text', { x: box.x0 - 4, y: box.y0 + 8, 'text-anchor': 'end', class: 'tick' }, fmt(top)),
    svgEl('text', { x: box.x0 - 4, y: box.y0 + box.height, 'text-anchor': 'end', class: 'tick' }, '0'),
  );
  const every = Math.max(1, Math.ceil(data.length / 8));
  bars.forEach((b, i) => {
    const d = data[i];
    const rect = svgEl('rect', { x: b.x, y: b.y, width: b.width, height: b.height, class: 'bar' });
    rect.dataset.value = String(d.value);
    rect.append(svgEl('title', {}, `${d.title ?? d.label}: ${fmt(d.value)}`));
    svg.append(rect);
    if (i % every === 0)
      svg.append(
        svgEl('text', { x: b.x + b.width / 2, y: height - 12, 'text-anchor': 'middle', class: 'tick' }, d.label),
      );
    if (data.length <= 24 && d.value > 0)
      svg.append(
        svgEl('text', { x: b.x + b.width / 2, y: b.y - 2, 'text-anchor': 'middle', class: 'val' }, fmt(d.value)),
      );
  });
};

/** Horizontal bars, one row per datum, the label on the left and the value at the bar's end. */
export const hBarChart = (
  svg,
  data,
  { width = sized(svg, 600), rowHeight = 22, labelWidth = 200, labelChars = 32, title = '' } = {},
) => {
  const height = Math.max(1, data.length) * rowHeight + 8;
  frame(svg, width, height, title);
  svg.style.height = `${height}px`;
  const top = niceMax(Math.max(0, ...data.map((d) => num(d.value))));
  const span = width - labelWidth - 60;
  data.forEach((d, i) => {
    const y = 4 + i * rowHeight;
    const w = (num(d.value) / top) * span;
    const rect = svgEl('rect', { x: labelWidth, y: y + 3, width: Math.max(w, 0), height: rowHeight - 8, class: 'bar' });
    rect.dataset.value = String(d.value);
    rect.append(svgEl('title', {}, `${d.label}: ${fmt(d.value)}`));
    const label = d.label.length > labelChars ? `${d.label.slice(0, labelChars - 1)}…` : d.label;
    svg.append(
      svgEl('text', { x: labelWidth - 6, y: y + rowHeight / 2 + 4, 'text-anchor': 'end', class: 'label' }, label),
      rect,
      svgEl('text', { x: labelWidth + w + 4, y: y + rowHeight / 2 + 4, class: 'val' }, fmt(d.value)),
    );
  });
};

/** A line with a point per value over `slots` positions (the newest on the right). */
export const lineChart = (
  svg,
  values,
  { width = sized(svg, 300), height = tall(svg, 120), slots = values.length, title = '', left = '', right = '' } = {},
) => {
  frame(svg, width, height, title);
  const box = { x0: 2, y0: 16, width: width - 4, height: height - 18 };
  const { top, points } = lineGeometry(values, box, slots);
  const base = box.y0 + box.height;
  const path = points.map((p) => `${p.x},${p.y}`).join(' ');
  svg.append(svgEl('line', { x1: 0, y1: base, x2: width, y2: base, class: 'axis' }));
  if (points.length > 0) {
    const first = points[0];
    const last = points[points.length - 1];
    svg.append(
      svgEl('polygon', { points: `${first.x},${base} ${path} ${last.x},${base}`, class: 'area' }),
      svgEl('polyline', { points: path, class: 'line' }),
    );
  }
  for (const [i, p] of points.entries()) {
    const dot = svgEl('circle', { cx: p.x, cy: p.y, r: 1.6, class: 'point' });
    dot.dataset.value = String(values[i]);
    svg.append(dot);
  }
  svg.append(svgEl('text', { x: 2, y: 11, class: 'tick' }, `max ${fmt(top)}`));
  if (left) svg.append(svgEl('text', { x: 2, y: base - 3, class: 'tick' }, left));
  if (right) svg.append(svgEl('text', { x: width - 2, y: base - 3, 'text-anchor': 'end', class: 'tick' }, right));
};
