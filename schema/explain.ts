// The answer of GET /api/v2/messages/{mid}/deliveries (domain/explain.ts builds it from the
// log): the story of one message for its recipients. Every entry names the log position of
// the event it comes from, so an auditor can look each one up with GET /api/v2/events.

/** An event as the explain fold reads it: its type, payload, place in the log and time. */
export interface LoggedEvent {
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly position: number;
  /** metadata.occurredAt */
  readonly at: string;
}

export interface ExplainTriage {
  readonly batch: number;
  readonly position: number;
  readonly at: string;
  readonly urgency: number;
  readonly due: string;
  readonly expiresAt: string;
  /** Set when nobody was planned for: the message had expired, or was cancelled, at triage. */
  readonly skipped: string | null;
}

/** One step the triage plan chose, and the rule (`reason`) that chose it. */
export interface ExplainPlannedStep {
  readonly channel: string;
  readonly deviceId: string | null;
  readonly at: string;
  /** The triage rule: live-session, offline, unseen, unread, no-device, high-urgency, topic. */
  readonly rule: string;
  /** The digest window this step was folded into (very-low urgency email/SMS), if any. */
  readonly digest: string | null;
  /** The batch (MessageTriaged) that planned it. */
  readonly batch: number;
}

export type ExplainEntryKind = 'attempt' | 'sent' | 'failed' | 'retry' | 'gave-up' | 'skipped';

/** One dispatch fact of a step, in log order. */
export interface ExplainEntry {
  readonly kind: ExplainEntryKind;
  readonly position: number;
  readonly at: string;
  readonly attempt: number | null;
  /**
   * `failed`: retry | failed | gone (the provider's verdict); `skipped`: seen, read, expired,
   * cancelled, collapsed, opted-out, unreachable; `sent`: the provider's message id, if any.
   */
  readonly outcome: string | null;
  /** The provider's reason for a failure or a give-up; null otherwise. */
  readonly reason: string | null;
  /** `retry`: when the next attempt is due. */
  readonly retryAt: string | null;
  /** Set when the fact is about a digest that carried this message. */
  readonly digest: string | null;
}

export interface ExplainStep {
  readonly channel: string;
  readonly deviceId: string | null;
  /** The delivery (or digest) stream this step's facts are in. */
  readonly stream: string;
  /** What the step came to: pending (nothing decided yet), sent, skipped, retrying, failed, given-up. */
  readonly state: 'pending' | 'attempting' | 'sent' | 'skipped' | 'retrying' | 'failed' | 'given-up';
  readonly entries: readonly ExplainEntry[];
}

export interface ExplainReceipt {
  readonly status: string;
  readonly channel: string | null;
  readonly position: number;
  readonly at: string;
}

export interface ExplainRevocation {
  readonly deviceId: string;
  readonly reason: string;
  readonly position: number;
  readonly at: string;
}

export interface ExplainRecipient {
  readonly uid: string;
  /** Whether triage found the recipient online (a live session) when it planned. */
  readonly online: boolean;
  /** The A/B variant the recipient was assigned (docs/campaigns.md); absent without variants. */
  readonly variant?: string;
  readonly plan: readonly ExplainPlannedStep[];
  readonly steps: readonly ExplainStep[];
  readonly receipts: readonly ExplainReceipt[];
  /** Revocations of devices the plan addressed, from the message's publication on. */
  readonly revocations: readonly ExplainRevocation[];
}

/**
 * A multicast/broadcast by segment or query: the AudienceResolved event stored with the message.
 * Who was targeted is the message's `audience.uids` (GET /api/v2/streams/message-<mid>).
 */
export interface ExplainAudience {
  readonly segment: string | null;
  readonly name: string | null;
  readonly query: unknown;
  readonly count: number;
  readonly position: number;
  readonly at: string;
}

export interface Explanation {
  readonly mid: string;
  readonly from: string;
  readonly status: 'published' | 'scheduled' | 'cancelled' | 'retracted';
  readonly publishedAt: string;
  readonly scheduled: string | null;
  readonly urgency: number;
  /** Set when the audience was resolved from a segment or query; null for explicit audiences. */
  readonly audience: ExplainAudience | null;
  readonly triage: readonly ExplainTriage[];
  readonly recipients: readonly ExplainRecipient[];
  /** Recipients the plan holds in all (before the `uid` filter and the page limit). */
  readonly recipientsPlanned: number;
  /** Next page: pass as `after` (a uid); null at the end. */
  readonly next: string | null;
}
