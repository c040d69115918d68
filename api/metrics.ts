// A small Prometheus text-format registry. Enough for counters, gauges read at scrape time,
// and fixed-bucket histograms; no dependency, no allocation per observation beyond a Map hit.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

// Every HTTP answer makes two keys (its count and its duration): a plain loop, and a value
// scanned for the characters the text format cannot carry before any copy is made (the
// entries/map/join form was 14 % of a ping's main-thread time).
const UNSAFE = /["\\\n]/;
const UNSAFE_ALL = /["\\\n]/g;
export const labelKey = (labels: Readonly<Record<string, string>>): string => {
  let key = '';
  for (const k in labels) {
    const v = labels[k] ?? '';
    key += `${key === '' ? '' : ','}${k}="${UNSAFE.test(v) ? v.replace(UNSAFE_ALL, '_') : v}"`;
  }
  return key;
};

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** Counters and histograms of several registries added up, series by series. */
export const merged = (first: MetricCounts, rest: readonly MetricCounts[]): MetricCounts => {
  const counters: Record<string, Record<string, number>> = {};
  const histograms: Record<string, Record<string, Histogram>> = {};
  for (const m of [first, ...rest]) {
    for (const [name, series] of Object.entries(m.counters)) {
      const into = (counters[name] ??= {});
      for (const [k, v] of Object.entries(series)) into[k] = (into[k] ?? 0) + v;
    }
    for (const [name, series] of Object.entries(m.histograms)) {
      const into = (histograms[name] ??= {});
      for (const [k, h] of Object.entries(series)) {
        const sum = (into[k] ??= { counts: BUCKETS.map(() => 0), sum: 0, count: 0 });
        h.counts.forEach((c, i) => {
          sum.counts[i] = (sum.counts[i] ?? 0) + c;
        });
        sum.sum += h.sum;
        sum.count += h.count;
      }
    }
  }
  return { thread: first.thread, counters, histograms, helps: first.helps };
};

/**
 * One entry per thread: a restarted thread's earlier lives' counts (sent apart) added to its
 * live ones, so no series is written twice; the gauges are the live entry's.
 */
const byThread = (all: readonly MetricCounts[]): MetricCounts[] => {
  const out = new Map<number, MetricCounts>();
  for (const m of all) {
    const b = out.get(m.thread);
    const gauges = b?.gauges ?? m.gauges;
    out.set(m.thread, b === undefined ? m : { ...merged(b, [m]), ...(gauges === undefined ? {} : { gauges }) });
  }
  return [...out.values()];
};

/** A registry's counters and histograms as plain data: what another thread of the node sends. */
export interface MetricCounts {
  /** The node's HTTP thread these are from (0: the main thread). */
  readonly thread: number;
  readonly counters: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly histograms: Readonly<Record<string, Readonly<Record<string, Histogram>>>>;
  readonly helps: Readonly<Record<string, { readonly type: string; readonly text: string }>>;
  /** The thread's gauges as last read (snapshot()); absent from counts(). */
  readonly gauges?: Readonly<Record<string, { readonly help: string; readonly value: number }>>;
}

/**
 * Whose value a gauge is on a node with several HTTP threads: `thread` (the default), each
 * thread's own figure, every thread's shown in every scrape labelled `thread` (sockets, writes in
 * flight, a gauge only the main thread has); `answering`, only the thread answering the scrape,
 * unlabelled (which thread that is).
 */
export type GaugeScope = 'thread' | 'answering';

export interface Metrics {
  inc(name: string, labels?: Record<string, string>, by?: number): void;
  observe(name: string, seconds: number, labels?: Record<string, string>): void;
  gauge(name: string, help: string, read: () => number | Promise<number>, scope?: GaugeScope): void;
  help(name: string, type: 'counter' | 'histogram', text: string): void;
  render(): Promise<string>;
  /** Sum of a counter over all its label sets (0 if never incremented), in this registry only. */
  total(name: string): number;
  /** This registry's counters and histograms, copied. */
  counts(): MetricCounts;
  /** counts() with this thread's `thread`-scoped gauges read (each within a second). */
  snapshot(): Promise<MetricCounts>;
  /** Grows with every inc and observe: a thread sends its counts only when they changed. */
  version(): number;
  /**
   * This registry is thread `thread` of a node with several HTTP threads (MSGXC_HTTP_THREADS):
   * every render shows the counters and histograms of all of them, whichever thread answers the
   * scrape, each series labelled `thread` (sum them for the node's), and so are the gauges
   * (each thread's as it last sent them, at most METRICS_MS old), but those registered with the
   * scope `answering`.
   */
  peers(thread: number, read: () => Promise<readonly MetricCounts[]>): void;
}

const GAUGE_TIMEOUT_MS = 1000;

/** The gauge's value, or undefined when reading it failed or took longer than `ms`. */
const readWithin = <T>(read: () => T | Promise<T>, ms: number): Promise<T | undefined> =>
  new Promise<T | undefined>((resolve) => {
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

type GaugeValue = { readonly help: string; readonly value: number } | undefined;

/**
 * Gauge lines: without `name`, one unlabelled gauge per key of `values`; with it, one gauge of
 * that name whose series are keyed by thread (`thread` label). One HELP and TYPE line each.
 */
const gaugeLines = (values: Readonly<Record<string, GaugeValue>>, name: string | undefined): string[] => {
  const lines: string[] = [];
  if (name === undefined) {
    for (const [n, g] of Object.entries(values))
      if (g !== undefined) lines.push(`# HELP ${n} ${g.help}`, `# TYPE ${n} gauge`, `${n} ${g.value}`);
    return lines;
  }
  const help = Object.values(values).find((g) => g !== undefined)?.help ?? '';
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  for (const [thread, g] of Object.entries(values))
    if (g !== undefined) lines.push(`${name}{thread="${thread}"} ${g.value}`);
  return lines;
};

export const createMetrics = (): Metrics => {
  const counters = new Map<string, Map<string, number>>();
  const histograms = new Map<string, Map<string, Histogram>>();
  const gauges = new Map<string, { help: string; read: () => number | Promise<number>; scope: GaugeScope }>();
  const helps = new Map<string, { type: string; text: string }>();
  let changes = 0;
  let readPeers: (() => Promise<readonly MetricCounts[]>) | undefined;
  let ownThread = 0;

  const render = async (): Promise<string> => {
    const lines: string[] = [];
    // Another thread's counts that do not come within the gauges' second are left out of this
    // scrape (its series dip, which Prometheus reads as a reset) rather than holding it back.
    const peers = readPeers === undefined ? undefined : ((await readWithin(readPeers, GAUGE_TIMEOUT_MS)) ?? []);
    const all = byThread([own(), ...(peers ?? [])]);
    const labelled = (m: MetricCounts, k: string): string =>
      peers === undefined ? k : `thread="${String(m.thread)}"${k ? `,${k}` : ''}`;
    const head = (name: string, type: string): void => {
      const h = helps.get(name) ?? all.find((m) => m.helps[name] !== undefined)?.helps[name];
      if (h) lines.push(`# HELP ${name} ${h.text}`);
      lines.push(`# TYPE ${name} ${type}`);
    };
    // A metric's series stay together under one TYPE line, as the text format requires.
    for (const name of new Set(all.flatMap((m) => Object.keys(m.counters)))) {
      head(name, 'counter');
      for (const m of all)
        for (const [key, v] of Object.entries(m.counters[name] ?? {})) {
          const k = labelled(m, key);
          lines.push(`${name}${k ? `{${k}}` : ''} ${v}`);
        }
    }
    for (const name of new Set(all.flatMap((m) => Object.keys(m.histograms)))) {
      head(name, 'histogram');
      for (const m of all)
        for (const [key, h] of Object.entries(m.histograms[name] ?? {})) {
          const k = labelled(m, key);
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
    const mine = await readGauges();
    if (peers === undefined) lines.push(...gaugeLines(mine, undefined));
    else {
      const answering = (name: string): boolean => gauges.get(name)?.scope === 'answering';
      lines.push(...gaugeLines(Object.fromEntries(Object.entries(mine).filter(([n]) => answering(n))), undefined));
      const threads = all.map((m) => ({ thread: m.thread, gauges: m.thread === ownThread ? mine : (m.gauges ?? {}) }));
      for (const name of new Set(threads.flatMap((t) => Object.keys(t.gauges))))
        if (!answering(name))
          lines.push(...gaugeLines(Object.fromEntries(threads.map((t) => [t.thread, t.gauges[name]])), name));
    }
    return `${lines.join('\n')}\n`;
  };

  // Read together, each within a second: a gauge that waits on the log (its head, say) must
  // not hold back the scrape while the log is down, which is when the other figures matter.
  const readGauges = async (
    scope?: GaugeScope,
  ): Promise<Record<string, { readonly help: string; readonly value: number }>> => {
    const entries = [...gauges.entries()].filter(([, g]) => scope === undefined || g.scope === scope);
    const values = await Promise.all(entries.map(([, g]) => readWithin(g.read, GAUGE_TIMEOUT_MS)));
    const out: Record<string, { readonly help: string; readonly value: number }> = {};
    entries.forEach(([name, g], i) => {
      const v = values[i];
      if (v !== undefined) out[name] = { help: g.help, value: v };
    });
    return out;
  };

  const own = (): MetricCounts => ({
    thread: ownThread,
    counters: Object.fromEntries([...counters].map(([n, series]) => [n, Object.fromEntries(series)])),
    histograms: Object.fromEntries(
      [...histograms].map(([n, series]) => [
        n,
        Object.fromEntries([...series].map(([k, h]) => [k, { counts: [...h.counts], sum: h.sum, count: h.count }])),
      ]),
    ),
    helps: Object.fromEntries(helps),
  });

  return {
    counts: own,
    snapshot: async () => ({ ...own(), gauges: await readGauges('thread') }),
    version: () => changes,
    peers: (thread, read) => {
      ownThread = thread;
      readPeers = read;
    },
    inc: (name, labels = {}, by = 1) => {
      changes += 1;
      const series = counters.get(name) ?? new Map<string, number>();
      counters.set(name, series);
      const k = labelKey(labels);
      series.set(k, (series.get(k) ?? 0) + by);
    },
    observe: (name, seconds, labels = {}) => {
      changes += 1;
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
    gauge: (name, help, read, scope = 'thread') => {
      gauges.set(name, { help, read, scope });
    },
    help: (name, type, text) => {
      helps.set(name, { type, text });
    },
    render,
    total: (name) => [...(counters.get(name)?.values() ?? [])].reduce((a, b) => a + b, 0),
  };
};
