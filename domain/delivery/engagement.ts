import type { DeliveryChange } from '../../schema/delivery-state.js';
import type { DomainEvent } from '../../schema/events.js';
import type { At } from './units.js';

// What dispatch checks before each step besides the unit itself, as a fold of idempotent
// changes: receipts (seen, read, clicked), last-read markers, cancellations, the newest message
// per collapse key, and each triaged message's counts (the "recent" report).

/** The event types dispatch's fold reads (with the units' events); others only move its checkpoint. */
export const DISPATCH_EVENTS: ReadonlySet<string> = new Set([
  'MessageTriaged',
  'DeliveryAttempted',
  'DeliverySucceeded',
  'DeliveryFailed',
  'DeliveryRetryScheduled',
  'DeliveryGivenUp',
  'DeliverySkipped',
  'DeliveriesClaimed',
  'DeliveriesSent',
  'DeliveriesSkipped',
  'MessagesAcknowledged',
  'LastReadMarked',
  'MessageCancelled',
  'MessageRetracted',
]);

export const deliveryChanges = (e: DomainEvent, at: At): DeliveryChange[] => {
  switch (e.type) {
    case 'MessageTriaged': {
      const d = e.data;
      const due = Date.parse(d.due);
      const collapse = d.collapse;
      // Recipients who only got it live still make older messages with the key collapsed. A list
      // by reference (`liveOf`) is counted by its length: triage never writes one with a collapse
      // key (domain/delivery/triage.ts), so this fold never needs its uids.
      const live = d.live ?? [];
      return [
        ...(collapse === undefined
          ? []
          : [...d.recipients.map((r) => r.uid), ...live].map(
              (uid): DeliveryChange => ({ type: 'collapse', uid, ckey: collapse, due, mid: d.mid }),
            )),
        {
          type: 'triaged',
          mid: d.mid,
          due,
          expiresAt: Date.parse(d.expiresAt),
          recipients: d.recipients.length + live.length + (d.liveOf?.count ?? 0),
          batch: d.batch,
          position: at.position,
        },
      ];
    }
    case 'MessagesAcknowledged': {
      const { status, uid, mids } = e.data;
      if (status === 'delivered') return []; // says nothing about whether anyone looked
      const read = status === 'read' || status === 'clicked';
      return mids.map((mid) => ({ type: 'engaged', uid, mid, seen: true, read }));
    }
    case 'LastReadMarked':
      return [{ type: 'read-marker', uid: e.data.uid, scope: e.data.tid ?? '', mid: e.data.mid }];
    case 'MessageCancelled':
    case 'MessageRetracted':
      return [{ type: 'cancelled', mid: e.data.mid }];
    default:
      return [];
  }
};
