import type { Followed, FollowerHandler } from '../ports/follower.js';
import type { LiveKind, LiveSink } from '../ports/live.js';
import type { EventOf } from '../schema/events.js';
import { encodeEnvelope, originOf, type MessageFrame } from '../schema/frames.js';
import type { Audience } from '../schema/message.js';
import type { LiveReads } from './live-reads.js';
import { variantsOf } from '../domain/variants.js';

// The realtime follower's handler: events -> live frames. Messages go to their audience,
// receipts/markers/deletions to the user (with the session that caused them, which does not
// get its own echo), membership changes to the user so every session of theirs moves on or off
// the thread's topic. A scheduled message is held back until the durable scheduler records it
// due (MessageDue, appended once by whichever node's scheduler fired: delivery/scheduler.ts),
// so it goes live on every node that follows the log, after restarts too.
export const LIVE_TYPES: ReadonlySet<string> = new Set([
  'MessagePublished',
  'MessageDue',
  'MessageRetracted',
  'ThreadMemberAdded',
  'ThreadMemberRemoved',
  'MessagesAcknowledged',
  'LastReadMarked',
  'MessageDeletedFromInbox',
]);

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

const audienceTargets = (a: Audience): readonly [LiveKind, string][] => {
  switch (a.kind) {
    case 'thread':
      return [['thread', a.tid]];
    case 'user':
      return [['user', a.uid]];
    case 'users':
      return a.uids.map((uid) => ['user', uid]);
    case 'everyone':
      return [['broadcast', '']];
    case 'chunked': // read part by part (toAudience)
      return [];
    default: {
      const unhandled: never = a;
      return unhandled;
    }
  }
};

export const liveHandler = (sink: LiveSink, reads: LiveReads): FollowerHandler => {
  // A chunked audience is pushed one part at a time (at most LIMITS.audienceChunk uids held).
  const toParts = async (mid: string, chunks: number, envelope: string): Promise<void> => {
    for (let part = 0; part < chunks; part += 1)
      for (const uid of await reads.parts.part(mid, part)) sink.publish('user', uid, envelope);
  };
  const toAudience = (mid: string, audience: Audience, envelope: string): Promise<void> | undefined => {
    if (audience.kind === 'chunked') return toParts(mid, audience.chunks, envelope);
    for (const [kind, key] of audienceTargets(audience)) sink.publish(kind, key, envelope);
    return undefined;
  };
  const toUser = (uid: string, frame: object, correlationId: string): void => {
    const origin = originOf(correlationId);
    sink.publish(
      'user',
      uid,
      encodeEnvelope(origin === undefined ? { k: 'f' } : { k: 'f', origin }, JSON.stringify(frame)),
    );
  };
  const publish = (d: EventOf<'MessagePublished'>['data']): Promise<void> | undefined => {
    const header =
      variantsOf(d.opts) === undefined
        ? { k: 'f' as const, mid: d.mid }
        : { k: 'f' as const, mid: d.mid, v: 1 as const };
    return toAudience(d.mid, d.audience, encodeEnvelope(header, JSON.stringify(messageFrame(d))));
  };

  // Synchronous unless the event needs a read (a due or retracted message): then a promise the
  // follower awaits before it passes the event (a failed read is retried, not dropped).
  const one = (f: Followed): Promise<void> | undefined => {
    const e = f.event;
    const corr = f.metadata.correlationId;
    switch (e.type) {
      case 'MessagePublished':
        // Scheduled ones (always in the future when accepted) wait for their MessageDue.
        return e.data.scheduled === undefined ? publish(e.data) : undefined;
      case 'MessageDue':
        return reads.liveMessage(e.data.mid).then((m) => (m === undefined ? undefined : publish(m)));
      case 'MessageRetracted': {
        const mid = e.data.mid;
        return reads
          .audienceOf(mid)
          .then((a) =>
            a === undefined
              ? undefined
              : toAudience(mid, a, encodeEnvelope({ k: 'f' }, JSON.stringify({ type: 'deleted', mids: [mid] }))),
          );
      }
      case 'ThreadMemberAdded':
      case 'ThreadMemberRemoved': {
        // Only subscribers receive a thread's messages (as in the inbox read model).
        if (e.data.role !== 'subscriber') return undefined;
        const origin = originOf(corr);
        const k = e.type === 'ThreadMemberAdded' ? 'join' : 'leave';
        const tid = e.data.tid;
        sink.publish('user', e.data.uid, encodeEnvelope(origin === undefined ? { k, tid } : { k, tid, origin }));
        return undefined;
      }
      case 'MessagesAcknowledged': {
        const { uid, mids, status } = e.data;
        if (status === 'delivered') return undefined; // a delivery receipt changes nothing another tab shows
        toUser(uid, status === 'seen' ? { type: 'seen', mids } : { type: 'seen', mids, read: true }, corr);
        return undefined;
      }
      case 'LastReadMarked':
        toUser(
          e.data.uid,
          { type: 'read', mid: e.data.mid, ...(e.data.tid !== undefined ? { tid: e.data.tid } : {}) },
          corr,
        );
        return undefined;
      case 'MessageDeletedFromInbox':
        toUser(e.data.uid, { type: 'deleted', mids: e.data.mids }, corr);
        return undefined;
      default:
        return undefined;
    }
  };

  // The newest event written to the sink: a batch retried after a failed read does not push
  // what it already pushed.
  let pushed = 0;
  const from = (events: readonly Followed[], i: number): Promise<void> | undefined => {
    for (let j = i; j < events.length; j += 1) {
      const f = events[j];
      if (f === undefined || f.position <= pushed) continue;
      const waiting = one(f);
      if (waiting !== undefined)
        return waiting.then(() => {
          pushed = f.position;
          return from(events, j + 1);
        });
      pushed = f.position;
    }
    return undefined;
  };
  return { types: LIVE_TYPES, handle: (events) => from(events, 0) };
};
