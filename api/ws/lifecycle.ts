import type { EventStore } from '../../ports/eventstore.js';
import type { LiveFeed } from '../../ports/live.js';
import type { Commands } from '../../commands/types.js';
import type { ReadModels } from '../../ports/read-models.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import type { ListedMessage } from '../../schema/frames.js';
import type { Actor } from '../../schema/metadata.js';
import type { Logger } from '../../ports/log.js';
import { listedFor, replaySince, type Replay } from './catch-up.js';
import { CloseCode } from './close-codes.js';
import type { Memberships } from './memberships.js';
import type { Registry } from './registry.js';
import { topics, type Session } from './session.js';

// Setting a session up without a gap or a duplicate between what was stored and what is live:
//  1. the session starts buffering live frames (user, broadcast and every thread's);
//  2. the read side and the live follower are awaited up to the log head as of now, so every
//     message published before step 1 is in the read models, and every frame the follower
//     writes after step 1 is in the buffer (deduplicated against the reads of step 3);
//  3. its threads, the unseen snapshot and (with ?since=) the missed messages are read, and
//     the live follower is awaited up to the log head again (the reads may be newer than 2);
//  4. in ONE synchronous step: unseen, the replay, then the buffer (without what 3 already
//     sent, and without threads it is not in), then it joins its topics and goes live.
// JS runs one thing at a time, so no live frame can slip between 4's buffer and its topics.
export interface LifecycleDeps {
  readonly store: EventStore;
  readonly live: LiveFeed;
  readonly reads: ReadModels;
  readonly projections: ProjectionRunner;
  readonly memberships: Memberships;
  readonly commands: Commands;
  readonly recognise: (actor: Actor) => Promise<void> | undefined;
  readonly registry: Registry;
  readonly log: Logger;
  readonly now: () => Date;
  readonly unseenLimit: number;
  readonly resumeMax: number;
}

const messageOnly = (m: ListedMessage): object => {
  const frame: Record<string, unknown> = { type: 'message', ...m };
  delete frame['seen'];
  delete frame['read'];
  return frame;
};

const goLive = (
  s: Session,
  tids: readonly string[],
  unseen: { messages: ListedMessage[]; next: string | null },
  replay: Replay | undefined,
  registry: Registry,
): void => {
  const ws = s.ws;
  if (ws === undefined || s.state !== 'catching-up') return;
  const buffered = s.buffer ?? [];
  ws.cork(() => {
    const sent = new Set<string>();
    s.send({ type: 'unseen', messages: unseen.messages, next: unseen.next });
    for (const m of unseen.messages) sent.add(m.mid);
    if (replay !== undefined && s.since !== undefined) {
      for (const m of replay.messages) {
        s.send(JSON.stringify(messageOnly(m)));
        sent.add(m.mid);
      }
      s.send({ type: 'resumed', since: s.since, count: replay.messages.length, truncated: replay.truncated });
    }
    // A wsn session is on no topic: the fan-out sends it its frames one by one, so they can be
    // rewritten in its protocol (api/ws/wsn.ts). It still keeps its threads, for the fan-out to
    // know which thread messages are its user's (they are in the inbox its unseen lists); that
    // protocol has no membership frames, so joins and leaves are silent.
    const wsn = s.compat === 'wsn';
    for (const tid of tids) {
      s.threads.add(tid);
      if (!wsn) ws.subscribe(topics.thread(tid));
    }
    if (!wsn) {
      ws.subscribe(topics.user(s.uid));
      ws.subscribe(topics.broadcast);
    }
    for (const b of buffered) {
      if (b.kind !== 'frame') {
        // A change is applied to the threads read above whichever of the two came first (the
        // command is committed by the time it is buffered); told when it changed something, or
        // when it answers the session's own frame.
        const member = s.threads.has(b.tid);
        const id = b.reply?.id;
        if (b.kind === 'join' && !member) {
          s.threads.add(b.tid);
          if (!wsn) ws.subscribe(topics.thread(b.tid));
        }
        if (b.kind === 'leave' && member) {
          s.threads.delete(b.tid);
          if (!wsn) ws.unsubscribe(topics.thread(b.tid));
        }
        const moved = b.kind === 'join' ? !member : member;
        if (!wsn && (moved || b.reply !== undefined)) {
          const type = b.kind === 'join' ? ('subscribed' as const) : ('unsubscribed' as const);
          s.send(id === undefined ? { type, tid: b.tid } : { type, tid: b.tid, id });
        }
        continue;
      }
      if (b.tid !== undefined && !s.threads.has(b.tid)) continue;
      if (b.mid !== undefined) {
        if (sent.has(b.mid)) continue;
        sent.add(b.mid);
      }
      s.send(b.frame);
    }
  });
  s.buffer = undefined;
  registry.pending.delete(s);
  s.state = 'live';
};

// A function, not an inline test: the state changes while this code awaits.
const stillCatchingUp = (s: Session): boolean => s.state === 'catching-up';

export const startSession = async (s: Session, deps: LifecycleDeps): Promise<void> => {
  s.state = 'catching-up';
  s.buffer = [];
  deps.registry.pending.add(s);
  try {
    const actor = { uid: s.uid, roles: [...s.roles] };
    // As for every authenticated HTTP caller: a user the broker knows receives broadcasts.
    await deps.recognise(actor);
    const head = await deps.store.head();
    await Promise.all([deps.projections.waitFor(head, 10_000), deps.live.caughtUp(head, 10_000)]);
    const now = deps.now();
    const [tids, unseen, replay] = await Promise.all([
      deps.memberships.threadsOf(s.uid),
      deps.reads.inbox(s.uid, { limit: deps.unseenLimit, unseen: true }, now),
      s.since !== undefined ? replaySince(deps.reads, s.uid, s.since, now, deps.resumeMax) : Promise.resolve(undefined),
    ]);
    // The read models may have run past `head`: a message appended since can be in what was
    // just read before the live follower has written its frame, which would then reach the
    // topic after the session went live (a duplicate). Everything read is in the log as of a
    // second look at its head; once the follower has written that far, those frames are in
    // the buffer, where the reads' ids drop them. Nothing read, nothing to wait for.
    if (unseen.messages.length > 0 || (replay?.messages.length ?? 0) > 0)
      await deps.live.caughtUp(await deps.store.head(), 10_000);
    goLive(s, tids, { messages: unseen.messages.map(listedFor(s.uid)), next: unseen.next }, replay, deps.registry);
  } catch (e) {
    deps.log.warn({ sid: s.sid, err: e instanceof Error ? e.message : String(e) }, 'websocket session setup failed');
    if (stillCatchingUp(s)) s.ws?.end(CloseCode.TryAgainLater, 'session setup failed, retry');
  }
};
