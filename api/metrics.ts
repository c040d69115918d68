// A small Prometheus text-format registry. Enough for counters, gauges read at scrape time,
// and fixed-bucket histograms; no dependency, no allocation per observation beyond a Map hit.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const labelKey = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export interface Metrics {
  inc(name: string, labels?: Record<string, string>, by?: number): void;
  observe(name: string, seconds: number, labels?: Record<string, string>): void;
  gauge(name: string, help: string, read: () => number | Promise<number>): void;
  help(name: string, type: 'counter' | 'histogram', text: string): void;
  render(): Promise<string>;
  /** Sum of a counter over all its label sets (0 if never incremented). */
  total(name: string): number;
}

const GAUGE_TIMEOUT_MS = 1000;

/** The gauge's value, or undefined when reading it failed or took longer than `ms`. */
const readWithin = (read: () => number | Promise<number>, ms: number): Promise<number | undefined> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(undefined);
    }, ms);
    timer.unref();
    Promise.resolve()
      .then(read)
      .then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      );
  });

export const createMetrics = (): Metrics => {
  const counters = new Map<string, Map<string, number>>();
  const histograms = new Map<string, Map<string, Histogram>>();
  const gauges = new Map<string, { help: string; read: () => number | Promise<number> }>();
  const helps = new Map<string, { type: string; text: string }>();

  const render = async (): Promise<string> => {
    const lines: string[] = [];
    const head = (name: string, type: string): void => {
      const h = helps.get(name);
      if (h) lines.push(`# HELP ${name} ${h.text}`);
      lines.push(`# TYPE ${name} ${type}`);
    };
    for (const [name, series] of counters) {
      head(name, 'counter');
      for (const [k, v] of series) lines.push(`${name}${k ? `{${k}}` : ''} ${v}`);
    }
    for (const [name, series] of histograms) {
      head(name, 'histogram');
      for (const [k, h] of series) {
        const sep = k ? `${k},` : '';
        let cumulative = 0;
        BUCKETS.forEach((b, i) => {
          cumulative += h.counts[i] ?? 0;
          lines.push(`${name}_bucket{${sep}le="${b}"} ${cumulative}`);
        });
        lines.push(
          `${name}_bucket{${sep}le="+Inf"} ${h.count}`,
          `${name}_sum${k ? `{${k}}` : ''} ${h.sum}`,
          `${name}_count${k ? `{${k}}` : ''} ${h.count}`,
        );
      }
    }
    // Read together, each within a second: a gauge that waits on the log (its head, say) must
    // not hold back the scrape while the log is down, which is when the other figures matter.
    const entries = [...gauges.entries()];
    const values = await Promise.all(entries.map(([, g]) => readWithin(g.read, GAUGE_TIMEOUT_MS)));
    entries.forEach(([name, g], i) => {
      const v = values[i];
      if (v !== undefined) lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    });
    return `${lines.join('\n')}\n`;
  };

  return {
    inc: (name, labels = {}, by = 1) => {
      const series = counters.get(name) ?? new Map<string, number>();
      counters.set(name, series);
      const k = labelKey(labels);
      series.set(k, (series.get(k) ?? 0) + by);
    },
    observe: (name, seconds, labels = {}) => {
      const series = histograms.get(name) ?? new Map<string, Histogram>();
      histograms.set(name, series);
      const k = labelKey(labels);
      const h = series.get(k) ?? { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      series.set(k, h);
      const i = BUCKETS.findIndex((b) => seconds <= b);
      if (i >= 0) h.counts[i] = (h.counts[i] ?? 0) + 1;
      h.sum += seconds;
      h.count += 1;
    },
    gauge: (name, help, read) => {
      gauges.set(name, { help, read });
    },
    help: (name, type, text) => {
      helps.set(name, { type, text });
    },
    render,
    total: (name) => [...(counters.get(name)?.values() ?? [])].reduce((a, b) => a + b, 0),
  };
};
