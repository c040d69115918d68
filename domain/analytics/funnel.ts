import { FUNNEL_CHANNELS } from '../../schema/search-documents.js';
import type { FunnelChannel } from '../../schema/search-documents.js';
import type { FunnelTotals, TermsBucket } from '../../schema/search-query.js';

// A funnel report from what the search port answers (the funnel sums and the times to read
// bucketed per read delivery): counts, rates of the addressed recipients, and nearest-rank
// percentiles. Pure, so both engines' answers become the same report by the same code.

export interface Stage {
  readonly count: number;
  /** count / addressed; null when nobody was addressed. Receipts from recipients triage never
   *  addressed (messages indexed before triage ran) can make it exceed 1. */
  readonly rate: number | null;
}
export interface ChannelStage {
  readonly attempted: number;
  readonly sent: number;
  /** sent / addressed */
  readonly rate: number | null;
}
export interface TimeToRead {
  /** Read deliveries measured (a recipient read on two channels counts on each). */
  readonly reads: number;
  /** Milliseconds from the message's due time, nearest rank, as the upper bound of a two-significant-digit bucket. */
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}
export interface FunnelReport {
  readonly messages: number;
  readonly addressed: number;
  readonly triaged: Stage;
  readonly channels: Readonly<Record<FunnelChannel, ChannelStage>>;
  readonly sent: Stage;
  readonly delivered: Stage;
  readonly seen: Stage;
  readonly read: Stage;
  readonly clicked: Stage;
  readonly timeToRead: TimeToRead;
}

const ratio = (n: number, of: number): number | null => (of === 0 ? null : Math.round((n / of) * 10_000) / 10_000);

/** Nearest-rank percentile `p` (0 < p <= 100) over (value, count) buckets; null when empty. */
export const percentile = (buckets: readonly TermsBucket[], p: number): number | null => {
  const sorted = buckets.map((b) => [Number(b.key), b.count] as const).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1]?.[0] ?? null;
};

export const funnelReport = (t: FunnelTotals, readBuckets: readonly TermsBucket[]): FunnelReport => {
  const stage = (count: number): Stage => ({ count, rate: ratio(count, t.addressed) });
  const channels = Object.fromEntries(
    FUNNEL_CHANNELS.map((c) => [
      c,
      { attempted: t.attempted[c], sent: t.sent[c], rate: ratio(t.sent[c], t.addressed) },
    ]),
  ) as Record<FunnelChannel, ChannelStage>;
  return {
    messages: t.messages,
    addressed: t.addressed,
    triaged: stage(t.triaged),
    channels,
    sent: stage(t.sentAny),
    delivered: stage(t.delivered),
    seen: stage(t.seen),
    read: stage(t.read),
    clicked: stage(t.clicked),
    timeToRead: {
      reads: readBuckets.reduce((n, b) => n + b.count, 0),
      p50: percentile(readBuckets, 50),
      p90: percentile(readBuckets, 90),
      p99: percentile(readBuckets, 99),
    },
  };
};
