import { isoInstant, zeroCounts } from '../../schema/search-documents.js';
import type { DeliveryStatus, MessageDoc, MessageStatus } from '../../schema/search-documents.js';
import type { DomainEvent, EventOf } from '../../schema/events.js';
import type { Audience } from '../../schema/message.js';
import { ERASED_TEXT } from '../../schema/personal.js';

// Events -> what the search documents must become, without I/O: messages to create,
// statuses to set (in log order), and receipts to merge into delivery documents. The
// batch step (batch.ts) turns this into the port's ops.

/** One delivery fact: `uid` reached `status` for `mid` over `channel` at `at`. */
export interface Receipt {
  readonly mid: string;
  readonly uid: string;
  readonly channel: string;
  readonly status: DeliveryStatus;
  readonly at: string;
  /** Dispatch outcomes (a later issue) carry these; receipts do not. */
  readonly reason?: string;
  readonly attempts?: number;
}

export interface Plan {
  /** Users erased in the batch: their direct messages stored before it are blanked first. */
  readonly erasures: readonly string[];
  readonly creates: readonly MessageDoc[];
  /** mid -> the one user a created message is addressed to. */
  readonly directTo: ReadonlyMap<string, string>;
  readonly statuses: readonly { readonly mid: string; readonly status: MessageStatus }[];
  readonly receipts: readonly Receipt[];
}

export interface PlannedEvent {
  readonly event: DomainEvent;
  /** metadata.occurredAt, already checked to be an instant. */
  readonly occurredAt: string;
}

/** Receipts that name no channel came in over the HTTP API. */
export const DEFAULT_RECEIPT_CHANNEL = 'api';

const recipients = (a: Audience): number | null => {
  switch (a.kind) {
    case 'user':
      return 1;
    case 'users':
      return new Set(a.uids).size;
    case 'thread':
    case 'everyone':
      return null;
    default: {
      const unhandled: never = a;
      return unhandled;
    }
  }
};

export const messageDoc = (e: EventOf<'MessagePublished'>['data']): MessageDoc => ({
  mid: e.mid,
  tid: e.audience.kind === 'thread' ? e.audience.tid : null,
  from: e.from,
  audience: e.audience.kind,
  recipients: recipients(e.audience),
  text: e.subject === undefined ? e.msg : `${e.msg}\n${e.subject}`,
  urgency: e.urgency,
  at: isoInstant(e.at),
  scheduled: e.scheduled === undefined ? null : isoInstant(e.scheduled),
  status: e.scheduled === undefined ? 'published' : 'scheduled',
  counts: zeroCounts(),
});

export const planBatch = (events: readonly PlannedEvent[]): Plan => {
  const erasures: string[] = [];
  const creates: MessageDoc[] = [];
  const directTo = new Map<string, string>();
  const statuses: { mid: string; status: MessageStatus }[] = [];
  const receipts: Receipt[] = [];
  for (const { event, occurredAt } of events) {
    switch (event.type) {
      case 'MessagePublished':
        creates.push(messageDoc(event.data));
        if (event.data.audience.kind === 'user') directTo.set(event.data.mid, event.data.audience.uid);
        break;
      // Messages created earlier in this batch are blanked here; stored ones by the erase op.
      case 'UserErased': {
        const uid = event.data.uid;
        erasures.push(uid);
        for (const [i, doc] of creates.entries())
          if (directTo.get(doc.mid) === uid) creates[i] = { ...doc, text: ERASED_TEXT };
        break;
      }
      // The decider allows a cancel only before a retraction, so log order is the final status.
      case 'MessageCancelled':
        statuses.push({ mid: event.data.mid, status: 'cancelled' });
        break;
      case 'MessageRetracted':
        statuses.push({ mid: event.data.mid, status: 'retracted' });
        break;
      case 'MessagesAcknowledged': {
        const { uid, status } = event.data;
        const channel = event.data.channel ?? DEFAULT_RECEIPT_CHANNEL;
        for (const mid of new Set(event.data.mids))
          receipts.push({ mid, uid, channel, status, at: isoInstant(occurredAt) });
        break;
      }
      default:
        break;
    }
  }
  return { erasures, creates, directTo, statuses, receipts };
};
