import { describe, expect, it } from 'vitest';
import { createMetrics, merged } from '../../../api/metrics.js';

// A node with several HTTP threads: whichever thread answers the scrape shows every thread's
// counters, histograms and gauges, each series labelled with its thread, one TYPE line per metric.
describe('metrics of a node with several HTTP threads', () => {
  const lines = (text: string, prefix: string): string[] => text.split('\n').filter((l) => l.startsWith(prefix));

  it('a registry without peers renders as before: no thread label', async () => {
    const m = createMetrics();
    m.inc('msgxc_x_total', { route: '/a' });
    expect(lines(await m.render(), 'msgxc_x_total')).toEqual(['msgxc_x_total{route="/a"} 1']);
  });

  it("renders its own and the other threads' series, each labelled, under one TYPE line", async () => {
    const worker = createMetrics();
    worker.help('msgxc_x_total', 'counter', 'Things');
    worker.inc('msgxc_x_total', { route: '/a' }, 2);
    worker.inc('msgxc_only_worker_total');
    worker.observe('msgxc_t_seconds', 0.003);
    const main = createMetrics();
    main.inc('msgxc_x_total', { route: '/a' }, 5);
    main.observe('msgxc_t_seconds', 0.3);
    main.peers(0, () => Promise.resolve([{ ...worker.counts(), thread: 1 }]));
    const text = await main.render();
    expect(lines(text, 'msgxc_x_total')).toEqual([
      'msgxc_x_total{thread="0",route="/a"} 5',
      'msgxc_x_total{thread="1",route="/a"} 2',
    ]);
    expect(lines(text, 'msgxc_only_worker_total')).toEqual(['msgxc_only_worker_total{thread="1"} 1']);
    expect(text.match(/^# TYPE msgxc_x_total counter$/gm)).toHaveLength(1);
    expect(text).toContain('# HELP msgxc_x_total Things');
    expect(lines(text, 'msgxc_t_seconds_count')).toEqual([
      'msgxc_t_seconds_count{thread="0"} 1',
      'msgxc_t_seconds_count{thread="1"} 1',
    ]);
    expect(lines(text, 'msgxc_t_seconds_bucket{thread="1",le="0.005"}')).toEqual([
      'msgxc_t_seconds_bucket{thread="1",le="0.005"} 1',
    ]);
    // This registry's own figures stay its own.
    expect(main.total('msgxc_x_total')).toBe(5);
  });

  it("peers that do not answer within a second leave only this thread's series", async () => {
    const m = createMetrics();
    m.inc('msgxc_x_total');
    m.peers(2, () => new Promise(() => undefined));
    const began = Date.now();
    expect(lines(await m.render(), 'msgxc_x_total')).toEqual(['msgxc_x_total{thread="2"} 1']);
    expect(Date.now() - began).toBeLessThan(3000);
  });

  it("a restarted thread's earlier counts are added to its new ones (counters never go back)", () => {
    const before = createMetrics();
    before.inc('msgxc_x_total', { s: '200' }, 3);
    before.observe('msgxc_t_seconds', 0.01);
    const after = createMetrics();
    after.inc('msgxc_x_total', { s: '200' });
    after.inc('msgxc_x_total', { s: '500' });
    after.observe('msgxc_t_seconds', 0.01);
    const sum = merged(before.counts(), [after.counts()]);
    expect(sum.counters['msgxc_x_total']).toEqual({ 's="200"': 4, 's="500"': 1 });
    expect(sum.histograms['msgxc_t_seconds']?.['']?.count).toBe(2);
    expect(sum.histograms['msgxc_t_seconds']?.['']?.sum).toBeCloseTo(0.02);
  });

  it("shows every thread's gauges labelled by thread, and `answering` gauges only for the thread answering", async () => {
    const worker = createMetrics();
    worker.gauge('msgxc_ws_sessions', 'Open sockets', () => 5);
    worker.gauge('msgxc_http_thread', 'Which thread answered', () => 1, 'answering');
    const main = createMetrics();
    main.gauge('msgxc_ws_sessions', 'Open sockets', () => 3);
    main.gauge('msgxc_projection_lag_events', 'Lag', () => Promise.resolve(7));
    main.gauge('msgxc_http_thread', 'Which thread answered', () => 0, 'answering');
    main.peers(0, async () => [{ ...(await worker.snapshot()), thread: 1 }]);
    const text = await main.render();
    expect(lines(text, 'msgxc_ws_sessions')).toEqual([
      'msgxc_ws_sessions{thread="0"} 3',
      'msgxc_ws_sessions{thread="1"} 5',
    ]);
    expect(text.match(/^# TYPE msgxc_ws_sessions gauge$/gm)).toHaveLength(1);
    expect(lines(text, 'msgxc_projection_lag_events')).toEqual(['msgxc_projection_lag_events{thread="0"} 7']);
    expect(lines(text, 'msgxc_http_thread')).toEqual(['msgxc_http_thread 0']);
    // Sent between threads: the thread's own gauges, not the answering one's.
    expect(Object.keys((await worker.snapshot()).gauges ?? {})).toEqual(['msgxc_ws_sessions']);
  });

  it("a restarted thread's earlier counts and its live ones make one series, with the live gauges", async () => {
    const before = createMetrics();
    before.inc('msgxc_x_total', {}, 4);
    const now = createMetrics();
    now.inc('msgxc_x_total', {}, 1);
    now.gauge('msgxc_ws_sessions', 'Open sockets', () => 2);
    const main = createMetrics();
    main.peers(0, async () => [
      { ...before.counts(), thread: 1 },
      { ...(await now.snapshot()), thread: 1 },
    ]);
    const text = await main.render();
    expect(lines(text, 'msgxc_x_total')).toEqual(['msgxc_x_total{thread="1"} 5']);
    expect(lines(text, 'msgxc_ws_sessions')).toEqual(['msgxc_ws_sessions{thread="1"} 2']);
  });

  it('counts change version only when something is counted', () => {
    const m = createMetrics();
    const v0 = m.version();
    m.gauge('msgxc_g', 'g', () => 1);
    expect(m.version()).toBe(v0);
    m.inc('msgxc_x_total');
    m.observe('msgxc_t_seconds', 1);
    expect(m.version()).toBe(v0 + 2);
  });
});
