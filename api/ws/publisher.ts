import * as E from 'fp-ts/lib/Either.js';
import type { RecordedEvent } from '../../ports/eventstore.js';
import type { Bus } from '../../ports/bus.js';
import { DomainEvent, type EventOf } from '../../schema/events.js';
import { encodeEnvelope, type MessageFrame } from '../../schema/frames.js';
import type { MessageId } from '../../schema/ids.js';
import type { Audience } from '../../schema/message.js';
import { originOf } from './session.js';

// Turns events this node appended into bus publications, right after the append is durable:
// messages to their audience's subject, receipts/markers/deletions to the user's subject (with
// the session that caused them, which does not get its own echo), membership changes to the
// user's subject so every node moves that user's sockets on or off the thread's topic.
// A scheduled message is held back until the durable scheduler records it due: MessageDue,
// appended once by whichever node's scheduler fired its timer (delivery/scheduler.ts), and
// published to the bus by that node like any other append, so every node's sessions get it,
// after restarts too.
export interface PublisherDeps {
  readonly bus: Bus;
  /** Audience of a message (for retractions, whose event does not repeat it). */
  readonly audienceOf: (mid: MessageId) => Promise<Audience | undefined>;
  /** The message as published, unless it was cancelled or retracted (asked when a scheduled one falls due). */
  readonly liveMessage: (mid: MessageId) => Promise<EventOf<'MessagePublished'>['data'] | undefined>;
  readonly onError: (e: unknown) => void;
}

export const messageFrame = (e: EventOf<'MessagePublished'>['data']): MessageFrame => ({
  type: 'message',
  mid: e.mid,
  ...(e.audience.kind === 'thread' ? { tid: e.audience.tid } : {}),
  from: e.from,
  msg: e.msg,
  opts: e.opts,
  urgency: e.urgency,
  at: e.at,
  ...(e.scheduled !== undefined ? { scheduled: e.scheduled } : {}),
});

export const createPublisher = (deps: PublisherDeps): ((events: readonly RecordedEvent[]) => void) => {
  const { bus } = deps;
  const toAudience = (audience: Audience, envelope: string): void => {
    switch (audience.kind) {
      case 'thread':
        bus.publish('thread', audience.tid, envelope);
        return;
      case 'user':
        bus.publish('user', audience.uid, envelope);
        return;
      case 'users':
        for (const uid of audience.uids) bus.publish('user', uid, envelope);
        return;
      case 'everyone':
        bus.publish('broadcast', '', envelope);
        return;
      default: {
        const unhandled: never = audience;
        return unhandled;
      }
    }
  };
  const toUser = (uid: string, frame: object, correlationId: string): void => {
    const origin = originOf(correlationId);
    bus.publish(
      'user',
      uid,
      encodeEnvelope(origin === undefined ? { k: 'f' } : { k: 'f', origin }, JSON.stringify(frame)),
    );
  };

  const publish = (d: EventOf<'MessagePublished'>['data']): void => {
    toAudience(d.audience, encodeEnvelope({ k: 'f', mid: d.mid }, JSON.stringify(messageFrame(d))));
  };

  const one = (r: RecordedEvent): void => {
    const decoded = DomainEvent.decode({ type: r.type, data: r.data });
    if (E.isLeft(decoded)) return; // not ours to publish (presence check-ins, other components)
    const e = decoded.right;
    const corr = r.metadata.correlationId;
    switch (e.type) {
      case 'MessagePublished':
        // Scheduled ones (always in the future when accepted) wait for their MessageDue.
        if (e.data.scheduled === undefined) publish(e.data);
        return;
      case 'MessageDue':
        deps.liveMessage(e.data.mid).then((m) => {
          if (m !== undefined) publish(m);
        }, deps.onError);
        return;
      case 'MessageRetracted': {
        const mid = e.data.mid;
        deps.audienceOf(mid).then((a) => {
          if (a !== undefined)
            toAudience(a, encodeEnvelope({ k: 'f' }, JSON.stringify({ type: 'deleted', mids: [mid] })));
        }, deps.onError);
        return;
      }
      case 'ThreadMemberAdded':
      case 'ThreadMemberRemoved':
        // Only subscribers receive a thread's messages (as in the inbox read model).
        if (e.data.role === 'subscriber') {
          const origin = originOf(corr);
          const k = e.type === 'ThreadMemberAdded' ? 'join' : 'leave';
          bus.publish(
            'user',
            e.data.uid,
            encodeEnvelope(origin === undefined ? { k, tid: e.data.tid } : { k, tid: e.data.tid, origin }),
          );
        }
        return;
      case 'MessagesAcknowledged': {
        const { uid, mids, status } = e.data;
        if (status === 'delivered') return; // a delivery receipt changes nothing another tab shows
        toUser(uid, status === 'seen' ? { type: 'seen', mids } : { type: 'seen', mids, read: true }, corr);
        return;
      }
      case 'LastReadMarked':
        toUser(
          e.data.uid,
          { type: 'read', mid: e.data.mid, ...(e.data.tid !== undefined ? { tid: e.data.tid } : {}) },
          corr,
        );
        return;
      case 'MessageDeletedFromInbox':
        toUser(e.data.uid, { type: 'deleted', mids: e.data.mids }, corr);
        return;
      default:
        return;
    }
  };

  return (events) => {
    for (const r of events) {
      try {
        one(r);
      } catch (err) {
        deps.onError(err);
      }
    }
  };
};
