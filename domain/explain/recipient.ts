import type {
  ExplainEntry,
  ExplainReceipt,
  ExplainRecipient,
  ExplainRevocation,
  ExplainStep,
  LoggedEvent,
} from '../../schema/explain.js';
import type { RecipientPlan, StepStreams } from './plan.js';

// The second half of explaining a message: for one recipient, what each planned step came
// to (claims, outcomes, retries, skips, from its delivery stream and its digest's), the
// receipts the recipient gave (inbox stream) and the revocations of the devices the plan
// addressed (user stream). Pure, like plan.ts.

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' ? v : null);

const KIND: Readonly<Record<string, ExplainEntry['kind']>> = {
  DeliveryAttempted: 'attempt',
  DeliverySucceeded: 'sent',
  DeliveryFailed: 'failed',
  DeliveryRetryScheduled: 'retry',
  DeliveryGivenUp: 'gave-up',
  DeliverySkipped: 'skipped',
};

const entryOf = (e: LoggedEvent, digest: string | null): ExplainEntry | undefined => {
  const kind = KIND[e.type];
  if (kind === undefined) return undefined;
  const d = e.data;
  return {
    kind,
    position: e.position,
    at: e.at,
    attempt: int(d['attempt']) ?? int(d['attempts']),
    outcome:
      kind === 'failed'
        ? str(d['outcome'])
        : kind === 'skipped'
          ? str(d['reason'])
          : kind === 'sent'
            ? str(d['providerId'])
            : null,
    reason: kind === 'failed' || kind === 'gave-up' ? str(d['reason']) : null,
    retryAt: kind === 'retry' ? str(d['at']) : null,
    digest,
  };
};

/** A digest's facts that concern this message (the digest carried it in `mids`). */
const carries = (mid: string, e: LoggedEvent): boolean =>
  Array.isArray(e.data['mids']) && (e.data['mids'] as unknown[]).includes(mid);

const stateOf = (entries: readonly ExplainEntry[]): ExplainStep['state'] => {
  const last = entries[entries.length - 1];
  if (last === undefined) return 'pending';
  switch (last.kind) {
    case 'attempt':
      return 'attempting';
    case 'sent':
      return 'sent';
    case 'skipped':
      return 'skipped';
    case 'retry':
      return 'retrying';
    case 'gave-up':
      return 'given-up';
    case 'failed':
      return last.outcome === 'retry' ? 'retrying' : 'failed';
  }
};

export interface RecipientLogs {
  /**
   * Events of each stream named by stepStreams (absent or empty: nothing happened yet), a group
   * stream's batched events expanded to the per-unit events they stand for (each with its `key`).
   */
  readonly streams: ReadonlyMap<string, readonly LoggedEvent[]>;
  readonly inbox: readonly LoggedEvent[];
  readonly user: readonly LoggedEvent[];
}

export const explainRecipient = (
  mid: string,
  publishedPosition: number,
  r: RecipientPlan,
  steps: readonly StepStreams[],
  logs: RecipientLogs,
): ExplainRecipient => {
  const explained = steps.map((s): ExplainStep => {
    // Its own stream (written before batching) and its group's facts that name it (expanded).
    const batched = (logs.streams.get(s.group) ?? []).filter((e) => e.data['key'] === s.key);
    const single = logs.streams.get(s.stream) ?? [];
    const own = [...single, ...batched].map((e) => entryOf(e, null));
    const digest = s.digestStream === null ? [] : (logs.streams.get(s.digestStream) ?? []);
    const window = s.digestStream === null ? null : s.digestStream.slice(s.digestStream.lastIndexOf('/') + 1);
    const viaDigest = digest.filter((e) => carries(mid, e)).map((e) => entryOf(e, window));
    const entries = [...own, ...viaDigest]
      .filter((x): x is ExplainEntry => x !== undefined)
      .sort((a, b) => a.position - b.position);
    const stream = single.length > 0 && batched.length === 0 ? s.stream : s.group;
    return { channel: s.channel, deviceId: s.deviceId, stream, state: stateOf(entries), entries };
  });
  const receipts: ExplainReceipt[] = [];
  for (const e of logs.inbox) {
    if (e.type === 'MessagesAcknowledged' && carries(mid, e))
      receipts.push({
        status: str(e.data['status']) ?? '',
        channel: str(e.data['channel']),
        position: e.position,
        at: e.at,
      });
    else if (e.type === 'LastReadMarked' && e.data['mid'] === mid)
      receipts.push({ status: 'read', channel: null, position: e.position, at: e.at });
  }
  const devices = new Set(r.plan.map((s) => s.deviceId).filter((d): d is string => d !== null));
  const revocations: ExplainRevocation[] = logs.user
    .filter((e) => e.type === 'DeviceRevoked' && e.position > publishedPosition)
    .filter((e) => devices.has(str(e.data['deviceId']) ?? ''))
    .map((e) => ({
      deviceId: str(e.data['deviceId']) ?? '',
      reason: str(e.data['reason']) ?? '',
      position: e.position,
      at: e.at,
    }));
  return {
    uid: r.uid,
    online: r.online,
    ...(r.variant === undefined ? {} : { variant: r.variant }),
    plan: r.plan,
    steps: explained,
    receipts,
    revocations,
  };
};
