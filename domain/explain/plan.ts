import type {
  ExplainAudience,
  ExplainPlannedStep,
  ExplainTriage,
  Explanation,
  LoggedEvent,
} from '../../schema/explain.js';
import { deliveryStream, digestKey, digestStream, groupStream, stepKey } from '../triage/keys.js';

// The first half of explaining a message (GET /api/v2/messages/{mid}/deliveries): what the
// message is, and what triage planned for each recipient, folded from the streams
// `message-<mid>` and `triage-<mid>`. Pure: the route reads the streams, this reads the events.

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

export type MessageHead = Pick<
  Explanation,
  'mid' | 'from' | 'status' | 'publishedAt' | 'scheduled' | 'urgency' | 'audience'
> & {
  readonly position: number;
};

/** The message as its own stream tells it; undefined when it was never published. */
const audienceOf = (e: LoggedEvent): ExplainAudience => {
  const source = rec(e.data['source']);
  return {
    segment: str(source['segment']),
    name: str(source['name']),
    query: source['query'] ?? null,
    count: num(e.data['count']),
    position: e.position,
    at: e.at,
  };
};

export const messageHead = (events: readonly LoggedEvent[]): MessageHead | undefined => {
  let head: MessageHead | undefined;
  let audience: ExplainAudience | null = null;
  for (const e of events) {
    if (e.type === 'AudienceResolved') audience = audienceOf(e);
    else if (e.type === 'MessagePublished') {
      const scheduled = str(e.data['scheduled']);
      head = {
        mid: str(e.data['mid']) ?? '',
        from: str(e.data['from']) ?? '',
        status: scheduled === null ? 'published' : 'scheduled',
        publishedAt: str(e.data['at']) ?? e.at,
        scheduled,
        urgency: num(e.data['urgency']),
        audience,
        position: e.position,
      };
    } else if (head !== undefined && e.type === 'MessageCancelled') head = { ...head, status: 'cancelled' };
    else if (head !== undefined && e.type === 'MessageRetracted') head = { ...head, status: 'retracted' };
  }
  return head;
};

export interface RecipientPlan {
  readonly uid: string;
  readonly online: boolean;
  readonly plan: readonly ExplainPlannedStep[];
  /** The A/B variant triage recorded for the recipient (MessageTriaged `variants`). */
  readonly variant?: string;
}

export interface TriageStory {
  readonly triage: readonly ExplainTriage[];
  /** Recipients in the order triage planned them (batch order, then the batch's order; its `live` uids last). */
  readonly recipients: readonly RecipientPlan[];
}

/** Every MessageTriaged batch, and each recipient's planned steps with the rule that chose them. */
export const triageStory = (events: readonly LoggedEvent[]): TriageStory => {
  const triage: ExplainTriage[] = [];
  const recipients = new Map<string, RecipientPlan>();
  for (const e of events) {
    if (e.type !== 'MessageTriaged') continue;
    const batch = num(e.data['batch']);
    triage.push({
      batch,
      position: e.position,
      at: e.at,
      urgency: num(e.data['urgency']),
      due: str(e.data['due']) ?? '',
      expiresAt: str(e.data['expiresAt']) ?? '',
      skipped: str(e.data['skipped']),
    });
    const variantOf = new Map<string, string>();
    for (const [name, uids] of Object.entries(rec(e.data['variants'])))
      for (const uid of arr(uids)) if (typeof uid === 'string') variantOf.set(uid, name);
    const withVariant = (p: RecipientPlan): RecipientPlan => {
      const variant = variantOf.get(p.uid);
      return variant === undefined ? p : { ...p, variant };
    };
    for (const r of arr(e.data['recipients']).map(rec)) {
      const uid = str(r['uid']);
      if (uid === null) continue;
      const plan = arr(r['steps'])
        .map(rec)
        .map((s) => ({
          channel: str(s['channel']) ?? '',
          deviceId: str(s['deviceId']),
          at: str(s['at']) ?? '',
          rule: str(s['reason']) ?? '',
          digest: str(s['digest']),
          batch,
        }));
      const before = recipients.get(uid);
      recipients.set(
        uid,
        withVariant({ uid, online: before?.online ?? r['online'] === true, plan: [...(before?.plan ?? []), ...plan] }),
      );
    }
    // Recipients planned only the websocket are listed by uid (schema/triage-events.ts `live`);
    // each reads as the plan it stands for, after the batch's full plans.
    const liveAt = str(e.data['liveAt']) ?? '';
    for (const uid of arr(e.data['live'])) {
      if (typeof uid !== 'string') continue;
      const step = { channel: 'websocket', deviceId: null, at: liveAt, rule: 'live-session', digest: null, batch };
      const before = recipients.get(uid);
      recipients.set(uid, withVariant({ uid, online: before?.online ?? true, plan: [...(before?.plan ?? []), step] }));
    }
  }
  return { triage, recipients: [...recipients.values()] };
};

export interface StepStreams {
  readonly channel: string;
  readonly deviceId: string | null;
  /** The step's unit key: its facts in `group` are those naming it. */
  readonly key: string;
  /** Where the step's own facts are when they were written one by one (before batching). */
  readonly stream: string;
  /** Where they are batched with the other steps of its channel and triage batch (domain/delivery/batches.ts). */
  readonly group: string;
  /** Where its digest's facts are, for a step folded into a digest. */
  readonly digestStream: string | null;
}

/** The streams to read for a recipient's planned steps; websocket steps are the realtime layer's (no stream). */
export const stepStreams = (mid: string, r: RecipientPlan): readonly StepStreams[] =>
  r.plan
    .filter((s) => s.channel !== 'websocket')
    .map((s) => {
      const key = stepKey({
        mid,
        uid: r.uid,
        channel: s.channel,
        ...(s.deviceId === null ? {} : { deviceId: s.deviceId }),
      });
      return {
        channel: s.channel,
        deviceId: s.deviceId,
        key,
        stream: deliveryStream(key),
        group: groupStream(mid, s.channel, s.batch),
        digestStream: s.digest === null ? null : digestStream(digestKey(r.uid, s.channel, Date.parse(s.digest))),
      };
    });
