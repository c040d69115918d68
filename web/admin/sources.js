// Where the analytics page's numbers come from, as plain data arrays for the charts. Today:
// totals of GET /api/v2/analytics/messages (one call per window or status; `limit=1`, only
// `total` is read) and the failure events of the log (GET /api/v2/events, auditors). A
// timeseries or funnel route can replace a function here without touching the charts.
import { api, qs } from './common.js';

export const DELIVERY_STATUSES = ['delivered', 'seen', 'read', 'clicked', 'retrying', 'failed', 'given_up', 'revoked'];

/** Runs `jobs` (functions returning promises) at most `n` at a time, results in order. */
const limited = async (jobs, n) => {
  const out = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
};

const total = async (params) => (await api(`/api/v2/analytics/messages?${qs({ ...params, limit: 1 })}`)).total;

/** [since, until) cut into `n` equal windows: [{ since, until }] as Dates. */
export const windows = (since, until, n) => {
  const step = (until.getTime() - since.getTime()) / n;
  return Array.from({ length: n }, (_, i) => ({
    since: new Date(since.getTime() + Math.round(i * step)),
    until: new Date(since.getTime() + Math.round((i + 1) * step)),
  }));
};

const label = (d, spanMs) =>
  spanMs <= 36 * 3600_000
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false })
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });

/** Messages published per window: [{ label, title, value }]. `filters`: tid, sender, text. */
export const volume = async (since, until, n, filters) => {
  const span = until.getTime() - since.getTime();
  const ws = windows(since, until, n);
  const counts = await limited(
    ws.map((w) => () => total({ ...filters, since: w.since.toISOString(), until: w.until.toISOString() })),
    4,
  );
  return ws.map((w, i) => ({
    label: label(w.since, span),
    title: `${w.since.toLocaleString()} – ${w.until.toLocaleString()}`,
    value: counts[i],
  }));
};

/** Messages with some recipient at each delivery status in the range: [{ label, value }]. */
export const outcomes = async (since, until, filters) => {
  const range = { ...filters, since: since.toISOString(), until: until.toISOString() };
  const counts = await limited(
    DELIVERY_STATUSES.map((s) => () => total({ ...range, outcome: s })),
    4,
  );
  return DELIVERY_STATUSES.map((s, i) => ({ label: s, value: counts[i] }));
};

/**
 * Failures and give-ups recorded in the log in the range, by channel and provider reason,
 * most frequent first: { rows: [{ label, value }], scanned, complete }. Reads at most
 * `maxPages` pages of 1000 events.
 */
export const failureReasons = async (since, until, maxPages = 5) => {
  const byReason = new Map();
  let after = 0;
  let scanned = 0;
  let pages = 0;
  for (; after !== null && pages < maxPages; pages++) {
    const q = qs({
      // Batched outcomes (DeliveriesSent, one per channel and triage batch) and the per-unit
      // events of logs written before batching (delivery/README.md).
      type: 'DeliveryFailed,DeliveryGivenUp,DeliveriesSent',
      from: since.toISOString(),
      to: until.toISOString(),
      after,
      limit: 1000,
    });
    const page = await api(`/api/v2/events?${q}`);
    const count = (channel, what, reason) => {
      const key = `${channel}: ${what}: ${reason ?? '?'}`;
      byReason.set(key, (byReason.get(key) ?? 0) + 1);
    };
    for (const e of page.events) {
      scanned += 1;
      if (e.type !== 'DeliveriesSent') {
        count(e.data.channel, e.type === 'DeliveryGivenUp' ? 'gave up' : (e.data.outcome ?? 'failed'), e.data.reason);
        continue;
      }
      for (const o of e.data.outcomes ?? []) {
        if (o.failed) count(e.data.channel, o.failed.outcome ?? 'failed', o.failed.reason);
        if (o.gaveUp) count(e.data.channel, 'gave up', o.gaveUp.reason);
      }
    }
    after = page.next;
  }
  const rows = [...byReason]
    .map(([label, value]) => ({ label, value }))
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  return { rows, scanned, complete: after === null };
};

// ---- the analytics routes: the funnel, the timeseries and online time (one call each).
const INTERVAL_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The finest interval that cuts [since, until) into at most 1000 buckets (the routes' limit), or null. */
export const intervalFor = (since, until) =>
  ['minute', 'hour', 'day'].find(
    (i) =>
      Math.ceil((until.getTime() - Math.floor(since.getTime() / INTERVAL_MS[i]) * INTERVAL_MS[i]) / INTERVAL_MS[i]) <=
      1000,
  ) ?? null;

const bucketLabel = (key, interval) => {
  const d = new Date(key);
  return interval === 'day'
    ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });
};

export const FUNNEL_STAGES = ['addressed', 'triaged', 'sent', 'delivered', 'seen', 'read', 'clicked'];

/** GET /api/v2/analytics/funnel over the range (and thread): one row per stage, in recipients. */
export const funnel = async (since, until, filters) => {
  const r = await api(
    `/api/v2/analytics/funnel?${qs({ since: since.toISOString(), until: until.toISOString(), ...(filters.tid ? { tid: filters.tid } : {}) })}`,
  );
  return {
    messages: r.messages,
    rows: FUNNEL_STAGES.map((s) => ({ label: s, value: s === 'addressed' ? r.addressed : r[s].count })),
  };
};

/** GET /api/v2/analytics/timeseries: messages published per interval, [{ label, title, value }]. */
export const timeseries = async (since, until, interval) => {
  const r = await api(
    `/api/v2/analytics/timeseries?${qs({ interval, since: since.toISOString(), until: until.toISOString() })}`,
  );
  return (r.series[0]?.buckets ?? []).map((b) => ({
    label: bucketLabel(b.key, interval),
    title: new Date(b.key).toLocaleString(),
    value: b.count,
  }));
};

/** GET /api/v2/analytics/online: session seconds per interval and the top users. */
export const onlineTime = async (since, until, interval) => {
  const r = await api(
    `/api/v2/analytics/online?${qs({ interval, since: since.toISOString(), until: until.toISOString(), top: 10 })}`,
  );
  return {
    onlineSeconds: r.onlineSeconds,
    users: r.users,
    buckets: r.buckets.map((b) => ({
      label: bucketLabel(b.key, interval),
      title: `${new Date(b.key).toLocaleString()}: ${b.users} user(s), ${b.concurrent} concurrent`,
      value: b.onlineSeconds,
    })),
    top: r.top.map((u) => ({ label: u.uid, value: u.onlineSeconds })),
  };
};
