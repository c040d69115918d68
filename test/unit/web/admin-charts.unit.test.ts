import { describe, expect, it } from 'vitest';

// The admin charts' geometry (web/admin/charts.js): pure functions, no DOM.
interface Box {
  x0: number;
  y0: number;
  width: number;
  height: number;
}
interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}
// Not a TypeScript module: imported by a path the compiler does not resolve, typed here.
const CHARTS: string = '../../../web/admin/charts.js';
const charts = (await import(CHARTS)) as {
  niceMax: (max: number) => number;
  barGeometry: (values: readonly number[], box: Box) => { top: number; bars: Bar[] };
  lineGeometry: (
    values: readonly number[],
    box: Box,
    slots?: number,
  ) => { top: number; points: { x: number; y: number }[] };
};
const box = { x0: 10, y0: 5, width: 100, height: 50 };

describe('admin UI charts', () => {
  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 180, 501].map(charts.niceMax)).toEqual([1, 1, 5, 10, 10, 20, 200, 1000]);
  });

  it('draws one bar per value, proportional, on the baseline, side by side', () => {
    const { top, bars } = charts.barGeometry([0, 5, 10, Number.NaN, -3], box);
    expect(top).toBe(10);
    expect(bars).toHaveLength(5);
    expect(bars.map((b) => b.height)).toEqual([0, 25, 50, 0, 0]);
    for (const b of bars) expect(b.y + b.height).toBeCloseTo(box.y0 + box.height);
    for (let i = 1; i < bars.length; i++)
      expect(bars[i]?.x).toBeGreaterThan((bars[i - 1]?.x ?? 0) + (bars[i - 1]?.width ?? 0) - 1e-9);
    const last = bars.at(-1);
    expect((last?.x ?? 0) + (last?.width ?? 0)).toBeLessThanOrEqual(box.x0 + box.width);
  });

  it('puts a line point per value, the newest at the right edge, fewer values starting later', () => {
    const { top, points } = charts.lineGeometry([1, 2, 4], box, 5);
    expect(top).toBe(5);
    expect(points).toHaveLength(3);
    expect(points.at(-1)?.x).toBe(box.x0 + box.width);
    expect(points[0]?.x).toBe(box.x0 + 2 * (box.width / 4));
    expect(points.map((p) => p.y)).toEqual([55 - 10, 55 - 20, 55 - 40]);
    expect(charts.lineGeometry([], box, 5).points).toEqual([]);
  });
});
