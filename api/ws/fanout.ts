import * as E from 'fp-ts/lib/Either.js';
import type { Bus, BusSubscription } from '../../ports/bus.js';
import type { LiveSink } from '../../ports/live.js';
import { BusHeader, type FrameId } from '../../schema/frames.js';
import { personalFrame } from '../../delivery/personal.js';
import type { TemplatedApp } from '../uws.js';
import type { Registry } from './registry.js';
import { CloseCode } from './close-codes.js';
import { MAX_BUFFERED, topics, type Buffered, type Session } from './session.js';

// Local fan-out of live frames through uWS topics, which write each frame to every subscribed
// socket in C++ without touching JS per socket. Frames come from the node's live follower
// (delivery/live.ts) through `local`, or, when the log is each node's own, from the bus: ONE
// subscription per topic kind (user, thread, broadcast). Sessions still catching up get the
// frame in their buffer instead (see catch-up.ts), so nothing published during a connect is
// lost or doubled.
export interface Fanout {
  /** Frames for this node's sessions (the same envelopes the bus carries). */
  readonly local: LiveSink;
  /** Puts a live session on (or off) a thread's topic, telling the client. */
  join(s: Session, tid: string, replyId?: string | number): void;
  leave(s: Session, tid: string, replyId?: string | number): void;
  /**
   * The session's own subscribe/unsubscribe frame succeeded: it joins or leaves the topic and
   * is answered (also when it already was, or was not, on it). While the session catches up,
   * the change waits in its buffer, in order with what the bus said: its threads are only known
   * once it goes live, and acting now would put it on a topic before its unseen snapshot (live
   * frames ahead of it, and again from the buffer), or leave it on a thread it just left.
   */
  changed(s: Session, kind: 'join' | 'leave', tid: string, replyId?: FrameId): void;
  close(): Promise<void>;
}

export interface FanoutDeps {
  readonly app: TemplatedApp;
  readonly bus: Bus;
  readonly registry: Registry;
  readonly onBadEnvelope: (payload: string) => void;
  /** Unsent bytes past which a session is closed as a slow consumer. */
  readonly maxBackpressure: number;
}

const split = (payload: string): { header: BusHeader; frame: string } | undefined => {
  const nl = payload.indexOf('\n');
  if (nl < 0) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(payload.slice(0, nl));
  } catch {
    return undefined;
  }
  const h = BusHeader.decode(raw);
  return E.isRight(h) ? { header: h.right, frame: payload.slice(nl + 1) } : undefined;
};

export const closeIfSlow = (s: Session, limit: number): void => {
  if (s.ws !== undefined && s.ws.getBufferedAmount() > limit)
    s.ws.end(CloseCode.SlowConsumer, 'slow consumer: too much unsent data');
};

const buffer = (s: Session, item: Buffered): void => {
  const b = s.buffer;
  if (b === undefined) return;
  if (b.length < MAX_BUFFERED) {
    b.push(item);
    return;
  }
  s.buffer = undefined;
  s.ws?.end(CloseCode.TryAgainLater, 'too much traffic while connecting, retry');
};

export const createFanout = ({ app, bus, registry, onBadEnvelope, maxBackpressure }: FanoutDeps): Fanout => {
  // A session in another protocol is on no topic: it only keeps the thread, for compatShared.
  const join: Fanout['join'] = (s, tid, replyId) => {
    if (s.threads.has(tid) || s.ws === undefined) return;
    s.threads.add(tid);
    if (s.compat !== undefined) return;
    s.ws.subscribe(topics.thread(tid));
    s.send(replyId === undefined ? { type: 'subscribed', tid } : { type: 'subscribed', tid, id: replyId });
  };
  const leave: Fanout['leave'] = (s, tid, replyId) => {
    if (!s.threads.delete(tid) || s.ws === undefined || s.compat !== undefined) return;
    s.ws.unsubscribe(topics.thread(tid));
    s.send(replyId === undefined ? { type: 'unsubscribed', tid } : { type: 'unsubscribed', tid, id: replyId });
  };

  const changed: Fanout['changed'] = (s, kind, tid, replyId) => {
    if (s.state === 'catching-up') {
      buffer(s, { kind, tid, reply: replyId === undefined ? {} : { id: replyId } });
      return;
    }
    const member = s.threads.has(tid);
    if (kind === 'join' && !member) join(s, tid, replyId);
    else if (kind === 'leave' && member) leave(s, tid, replyId);
    else
      s.send(
        replyId === undefined
          ? { type: kind === 'join' ? 'subscribed' : 'unsubscribed', tid }
          : { type: kind === 'join' ? 'subscribed' : 'unsubscribed', tid, id: replyId },
      );
  };

  const onUser = (uid: string, payload: string): void => {
    const sessions = registry.ofUser(uid);
    if (sessions === undefined) return; // nobody of this user here: the cheap, common case
    const m = split(payload);
    if (m === undefined) {
      onBadEnvelope(payload);
      return;
    }
    const { header } = m;
    // A message with A/B variants: this user's variant (one rewrite for all their sessions).
    const frame = header.k === 'f' && header.v === 1 ? personalFrame(m.frame, uid) : m.frame;
    if (header.k !== 'f') {
      for (const s of sessions) {
        if (s.sid === header.origin) continue;
        if (s.state === 'catching-up') buffer(s, { kind: header.k, tid: header.tid });
        else if (s.state === 'live') (header.k === 'join' ? join : leave)(s, header.tid);
      }
      return;
    }
    let origin: Session | undefined;
    for (const s of sessions) {
      if (s.sid === header.origin) origin = s;
      else if (s.state === 'catching-up')
        buffer(s, { kind: 'frame', frame, ...(header.mid !== undefined ? { mid: header.mid } : {}) });
    }
    // ws.publish skips the publishing socket itself: the session that caused a change of
    // state does not hear its own echo; every other session of the user does.
    if (origin?.ws !== undefined && origin.state === 'live') origin.ws.publish(topics.user(uid), frame);
    else app.publish(topics.user(uid), frame);
    // Sessions in another protocol are on no topic; each gets its own rewritten copy (session.ts).
    for (const s of sessions)
      if (s.compat !== undefined && s.state === 'live' && s.sid !== header.origin) s.send(frame);
    // A user's few sessions are checked at once; thread and broadcast subscribers by the sweep.
    for (const s of sessions) closeIfSlow(s, maxBackpressure);
  };

  // A shared message with A/B variants cannot go out as one topic frame: each session gets its
  // user's variant, written from JS (a cost per session, paid only by variant messages).
  const personalShared = (frame: string, thread: string | undefined, mid: string | undefined): void => {
    for (const s of registry.pending)
      buffer(s, {
        kind: 'frame',
        frame: personalFrame(frame, s.uid),
        ...(mid !== undefined ? { mid } : {}),
        ...(thread !== undefined ? { tid: thread } : {}),
      });
    for (const s of registry.all())
      if (s.state === 'live' && (thread === undefined || s.threads.has(thread))) s.send(personalFrame(frame, s.uid));
  };

  // What a topic carries to the sessions on it, the fan-out writes to each live session in
  // another protocol whose user it is for (a broadcast, or a thread of theirs): its own copy,
  // rewritten by the session (session.ts). Otherwise such a session would get only its user's
  // frames, and miss live what its inbox holds.
  const compatShared = (frame: string, thread: string | undefined): void => {
    for (const s of registry.compat)
      if (s.state === 'live' && (thread === undefined || s.threads.has(thread))) s.send(frame);
  };

  // Thread and broadcast frames: sessions catching up buffer them all (they learn their
  // threads at the end of the catch-up and drop the others then).
  const onShared =
    (isThread: boolean) =>
    (key: string, payload: string): void => {
      const m = split(payload);
      if (m === undefined) {
        onBadEnvelope(payload);
        return;
      }
      const thread = isThread ? key : undefined;
      if (m.header.k === 'f' && m.header.v === 1) {
        personalShared(m.frame, thread, m.header.mid);
        return;
      }
      for (const s of registry.pending) {
        buffer(s, {
          kind: 'frame',
          frame: m.frame,
          ...(m.header.k === 'f' && m.header.mid !== undefined ? { mid: m.header.mid } : {}),
          ...(thread !== undefined ? { tid: thread } : {}),
        });
      }
      app.publish(thread !== undefined ? topics.thread(thread) : topics.broadcast, m.frame);
      compatShared(m.frame, thread);
    };

  const onThread = onShared(true);
  const onBroadcast = onShared(false);
  const subs: BusSubscription[] = [
    bus.subscribe('user', onUser),
    bus.subscribe('thread', onThread),
    bus.subscribe('broadcast', onBroadcast),
  ];
  return {
    local: {
      publish: (kind, key, envelope) => {
        if (kind === 'user') onUser(key, envelope);
        else if (kind === 'thread') onThread(key, envelope);
        else onBroadcast(key, envelope);
      },
    },
    join,
    leave,
    changed,
    close: async () => {
      await Promise.all(subs.map((s) => s.close()));
    },
  };
};
