import { describe, expect, it } from 'vitest';
import { createMetrics, labelKey } from '../../../api/metrics.js';

// The label key is the series' identity and, rendered, its Prometheus label set: the same
// text as the Object.entries/map/join form it replaced, for every value.
const reference = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

describe('metric label keys', () => {
  it('keeps the labels in order and replaces what the text format cannot carry', () => {
    expect(labelKey({})).toBe('');
    expect(labelKey({ route: '/api/v2/send', method: 'post', status: '202' })).toBe(
      'route="/api/v2/send",method="post",status="202"',
    );
    expect(labelKey({ a: 'x"y\\z\nw', b: '"' })).toBe('a="x_y_z_w",b="_"');
  });

  it('is the replaced form for random values', () => {
    const alphabet = ['a', '"', '\\', '\n', '/', ' ', 'é', '='];
    for (let i = 0; i < 2000; i++) {
      const labels: Record<string, string> = {};
      for (let k = 0; k < 1 + (i % 4); k++)
        labels[`l${String(k)}`] = Array.from({ length: i % 7 }, (_, j) => alphabet[(i * 7 + j * 3 + k) % 8]).join('');
      expect(labelKey(labels)).toBe(reference(labels));
    }
  });

  it('counts an escaped label under one series', async () => {
    const m = createMetrics();
    m.inc('msgxc_x_total', { route: 'a"b' });
    m.inc('msgxc_x_total', { route: 'a"b' });
    expect((await m.render()).split('\n').filter((l) => l.startsWith('msgxc_x_total'))).toEqual([
      'msgxc_x_total{route="a_b"} 2',
    ]);
  });
});
