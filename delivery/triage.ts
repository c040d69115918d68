import { DIRECTORY_EVENTS, directoryChanges } from '../domain/delivery/directory.js';
import { cursorOf, decidePlan, evolveTriage, initialTriage, recipientsOf, stopped } from '../domain/delivery/triage.js';
import type { TriageState } from '../domain/delivery/triage.js';
import type { Page } from '../domain/triage/batches.js';
import type { TriageConfig } from '../domain/triage/config.js';
import { triageStream } from '../domain/triage/keys.js';
import { expiryOf, messageFacts } from '../domain/triage/message.js';
import type { RecipientFacts } from '../domain/triage/types.js';
import type { Clock } from '../ports/clock.js';
import type { DomainEvent } from '../schema/events.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter } from '../ports/follower.js';
import type { Presence } from '../ports/presence.js';
import type { DirectoryMessage, Profile } from '../schema/delivery-state.js';
import { TriageEvent } from '../schema/triage-events.js';
import { REACTOR_APPEND_BYTES, dataBytes, reactorAppend } from './append.js';
import { takenFrom } from '../domain/delivery/moves.js';
import { mover } from './moves.js';
import type { Revoke } from './revoke.js';
import { audiencePage } from './audience.js';
import { audienceParts } from '../commands/audience-parts.js';
import { FactsMemo } from './facts-memo.js';
import { splitPage } from '../domain/delivery/live-split.js';
import type { TriagePage } from '../domain/delivery/live-split.js';
import { MembersCache } from './members-cache.js';
import { ProfileCache } from './profile-cache.js';
import { startFollower } from './follow.js';
import { yieldSlice } from './slice.js';
import type { Follower } from './follow.js';
import type { ReactorLog } from './types.js';

// The triage follower: folds the directory, and runs the triage workflow
// (domain/delivery/triage.ts) for each MessagePublished (at once) or MessageDue (a scheduled
// message whose time came): it reads the message's triage stream, fetches the next pages of
// the audience with what the directory knows of each recipient, and appends the batches the
// workflow decides, at the stream's revision, until the audience is planned.
export const TRIAGE_REACTOR = 'triage';

// A few batches per append (each still its own event) so a large audience does not wait for
// one commit per batch; memory stays bounded by BATCHES_PER_APPEND x batchSize.
const BATCHES_PER_APPEND = 4;
// The batches of one append stay under REACTOR_APPEND_BYTES (delivery/append.ts): four batches
// of 500 recipients with uids of 128 characters and five steps each are ~1.3 MB, which JetStream
// refused (MAX_PAYLOAD_EXCEEDED) on every try, so triage planned no later message. An append
// over it takes fewer batches, and a single batch over it a smaller page, halved until it fits
// (a recipient's plan is at most 64 steps, ~20 kB).

/** A message to plan now: published unscheduled, or a scheduled one whose time came. */
const isDue = (event: DomainEvent): event is Extract<DomainEvent, { type: 'MessagePublished' | 'MessageDue' }> =>
  (event.type === 'MessagePublished' && event.data.scheduled === undefined) || event.type === 'MessageDue';
const PROFILES_PER_SLICE = 100;

export interface TriageReactorOptions {
  readonly store: EventStore;
  readonly state: DeliveryStateStore;
  readonly presence: Presence;
  readonly clock: Clock;
  readonly config: TriageConfig;
  readonly log: ReactorLog;
  readonly afterBatch?: () => void;
  /** Right after a commit that set timers, with the earliest due time it set. */
  readonly timersSet?: (earliest: number) => void;
  readonly onPosition?: (position: number) => void;
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
  readonly stopped: () => boolean;
  /** Revokes the enlistments of a device another user enlisted since (delivery/moves.ts). */
  readonly revokeDevice: Revoke;
}

export const createTriageReactor = (o: TriageReactorOptions): Follower => {
  const dir = o.state.directory;
  const append = reactorAppend(o.store, o.clock);
  const move = mover(o.revokeDevice, dir, o.clock, o.log);
  const parts = audienceParts(o.store);
  const cache = new ProfileCache();
  const memberLists = new MembersCache();
  const memo = new FactsMemo();
  // The audience's pages read the thread's members through the cache; everything else as before.
  const reads: typeof dir = {
    ...dir,
    members: (tid, after, limit) => memberLists.members(tid, after, limit, (t, a, n) => dir.members(t, a, n)),
  };

  const streamState = async (mid: string): Promise<TriageState> => {
    let s = initialTriage();
    for (const r of await o.store.read(triageStream(mid))) {
      const decoded = TriageEvent.decode({ type: r.type, data: r.data });
      if (decoded._tag === 'Right' && (decoded.right.type === 'MessageDue' || decoded.right.type === 'MessageTriaged'))
        s = evolveTriage(s, decoded.right);
    }
    return s;
  };

  // A page's profiles are read in slices (PROFILES_PER_SLICE), each followed by a chance to give
  // the loop back: reading 500 at once held it for 15-50 ms on the shared machine.
  const facts = async (uids: readonly string[], tid: string | undefined): Promise<RecipientFacts[]> => {
    const out: RecipientFacts[] = [];
    for (let i = 0; i < uids.length; i += PROFILES_PER_SLICE) {
      if (i > 0) await yieldSlice();
      out.push(...(await sliceFacts(uids.slice(i, i + PROFILES_PER_SLICE), tid)));
    }
    return out;
  };
  const sliceFacts = async (uids: readonly string[], tid: string | undefined): Promise<RecipientFacts[]> => {
    const profiles = await cache.profiles(uids, tid, (missing, t) => dir.profiles(missing, t));
    return uids.map((uid) => factsOf(uid, profiles.get(uid)));
  };
  // One object per recipient, its optional fields set only when present (spreading them made
  // two more objects per recipient of a broadcast).
  const factsOf = (uid: string, p: Profile | undefined): RecipientFacts => {
    const f: { -readonly [K in keyof RecipientFacts]: RecipientFacts[K] } = {
      uid,
      online: o.presence.isOnline(uid),
      devices: p?.devices ?? [],
      hasEmail: (p?.email ?? null) !== null,
      hasCell: (p?.cell ?? null) !== null,
      channels: p?.channels ?? [],
    };
    if (p?.threadChannels !== undefined) f.threadChannels = p.threadChannels;
    if (p?.timezone !== undefined) f.timezone = p.timezone;
    if (p?.quietHours !== undefined) f.quietHours = p.quietHours;
    return f;
  };

  // A broadcast's page: the known users with their profiles in one ordered pass over the
  // directory (`knownProfiles`), in slices with a chance to give the loop back between them, the
  // same page and cursor as `audiencePage` then `facts` give. Not through the profile cache: a
  // broadcast reads each user once, and remembering a whole audience's profiles is the memory
  // the cache is capped against (its entries stay right: they are the directory's answers).
  const broadcastPage = async (m: DirectoryMessage, after: string, size: number): Promise<Page<RecipientFacts>> => {
    const rows: [string, Profile][] = [];
    for (let from = after; rows.length <= size; ) {
      if (rows.length > 0) await yieldSlice();
      const want = Math.min(PROFILES_PER_SLICE, size + 1 - rows.length);
      const slice = await dir.knownProfiles(m.position, from, want);
      for (const row of slice) rows.push(row);
      const last = rows[rows.length - 1];
      if (slice.size < want || last === undefined) break;
      from = last[0];
    }
    // As `paged` (audience.ts): one row past the page says there is more.
    const more = rows.length > size;
    if (more) rows.length = size;
    const next = more ? rows[rows.length - 1]?.[0] : undefined;
    const items = rows.filter(([uid]) => uid !== m.data.from).map(([uid, p]) => factsOf(uid, p));
    return next === undefined ? { items } : { items, next };
  };

  // A thread's page with its recipients' facts, reused while nothing it depends on changed
  // (delivery/facts-memo.ts), and split into its live-only recipients and the rest
  // (domain/delivery/live-split.ts); other audiences, and a presence without a version, read it
  // each time, unsplit. `memo` says where the page is kept, for naming a root once written.
  const factsPage = async (
    m: DirectoryMessage,
    after: string,
    tid: string | undefined,
    size: number,
  ): Promise<{ readonly page: TriagePage; readonly memo?: { readonly key: string; readonly stamp: string } }> => {
    const presence = o.presence.version?.();
    const stamp =
      tid === undefined || presence === undefined
        ? undefined
        : `${String(memberLists.version())}/${String(cache.version())}/${String(presence)}`;
    const key = `${tid ?? ''}\u0000${m.data.from}\u0000${after}\u0000${String(size)}`;
    const kept = stamp === undefined ? undefined : memo.get(key, stamp);
    if (kept !== undefined && stamp !== undefined) return { page: kept, memo: { key, stamp } };
    const page = recipientsOf(await audiencePage(reads, m, after, size, parts), m.data.from);
    const items = await facts(page.items, tid);
    const next = page.next === undefined ? {} : { next: page.next };
    if (stamp === undefined) return { page: { items, ...next } };
    const read = { items, ...next, split: splitPage(items) };
    memo.remember(key, stamp, read);
    return { page: read, memo: { key, stamp } };
  };

  // `published`: planned for its MessagePublished (not a MessageDue, which is in the stream). Its
  // triage stream is then empty unless another reactor process (or this one before a crash) got
  // there first, so the first append expects no stream without reading it (a read of an empty
  // stream per send), and the stream is read only when that append is refused. Not for a
  // thread's message: its first batch may root a page's live list (facts-memo.ts), which must
  // be the list the stored batch holds, and an engine that answers a repeated append as done
  // (EventStoreDB: the same event ids, revisionIds, at the same expected revision) would say
  // 'appended' for a batch another run wrote; other audiences root nothing, and their cursor is
  // the same whichever run wrote the batch.
  const triage = async (m: DirectoryMessage, causationId: string, published: boolean): Promise<void> => {
    const { data } = m;
    const tid = data.audience.kind === 'thread' ? data.audience.tid : undefined;
    const thread = tid === undefined ? undefined : await dir.thread(tid);
    const message = messageFacts(data, thread);
    const expiresAt = expiryOf(message, o.config);
    const cause = { correlationId: m.correlationId, causationId };
    let state = published && tid === undefined ? initialTriage() : await streamState(data.mid);
    // The page size, halved for the rest of the message when one page's batch is over the bytes.
    let size = o.config.batchSize;
    for (let cursor = cursorOf(state); cursor !== 'done' && !o.stopped(); cursor = cursorOf(state)) {
      const now = o.clock.now().getTime();
      const pages: TriagePage[] = [];
      const kept: ({ readonly key: string; readonly stamp: string } | undefined)[] = [];
      const readPages = async (most: number): Promise<void> => {
        pages.length = 0;
        kept.length = 0;
        if (stopped(m.status, now, expiresAt) !== undefined) return;
        for (let after: string | undefined = cursor.after; after !== undefined && pages.length < most; ) {
          // Nothing else writes the directory while this effect runs (its follower is paused on it).
          await yieldSlice();
          const read: { readonly page: TriagePage; readonly memo?: { readonly key: string; readonly stamp: string } } =
            data.audience.kind === 'everyone'
              ? { page: await broadcastPage(m, after, size) }
              : await factsPage(m, after, tid, size);
          pages.push(read.page);
          kept.push(read.memo);
          after = read.page.next;
        }
      };
      await readPages(BATCHES_PER_APPEND);
      const decide = () =>
        decidePlan({ now, data, status: m.status, message, expiresAt, config: o.config, pages }, state);
      let intent = decide();
      while (
        intent.kind === 'append' &&
        (pages.length > 1 || size > 1) &&
        dataBytes(intent.events) > REACTOR_APPEND_BYTES
      ) {
        if (pages.length > 1) {
          // Fewer batches: the pages read stay right, only the last ones wait for the next append.
          pages.length = Math.ceil(pages.length / 2);
          kept.length = pages.length;
        } else {
          size = Math.max(1, Math.floor(size / 2));
          await readPages(1);
        }
        intent = decide();
      }
      if (intent.kind !== 'append') return;
      const result = await append(intent.stream, intent.events, intent.revision, cause);
      // Another writer got there first: continue after what it wrote.
      if (result.kind !== 'appended') state = await streamState(data.mid);
      else
        intent.events.forEach((e, i) => {
          if (e.type !== 'MessageTriaged') return;
          state = evolveTriage(state, e);
          // A batch that wrote its page's split list itself (that very array) is the list's root.
          const split = pages[i]?.split;
          const at = kept[i];
          if (split !== undefined && at !== undefined && e.data.live === split.live)
            memo.rooted(at.key, at.stamp, split, { mid: e.data.mid, batch: e.data.batch, urgency: e.data.urgency });
        });
    }
  };

  // The messages of one pause are planned together (delivery/follow.ts `joins`), but those of one
  // thread one after another: the first one's facts pages (facts-memo.ts) and split lists (its
  // roots) then serve the next, where planned at once each would read the thread's pages and
  // write its own split lists. Other audiences, and other threads, overlap.
  const turns = new Map<string, Promise<void>>();
  const inTurn = (tid: string, plan: () => Promise<void>): Promise<void> => {
    const mine = (turns.get(tid) ?? Promise.resolve()).then(plan);
    const done = mine.catch(() => undefined);
    turns.set(tid, done);
    void done.then(() => {
      if (turns.get(tid) === done) turns.delete(tid);
    });
    return mine;
  };

  const triageCommitted = async (mid: string, causationId: string, published: boolean): Promise<void> => {
    const m = await dir.message(mid);
    if (m === undefined) return;
    const { audience } = m.data;
    await (audience.kind === 'thread'
      ? inTurn(audience.tid, () => triage(m, causationId, published))
      : triage(m, causationId, published));
  };

  return startFollower({
    name: TRIAGE_REACTOR,
    store: o.store,
    state: o.state,
    types: DIRECTORY_EVENTS,
    log: o.log,
    clock: o.clock,
    ...(o.afterBatch === undefined ? {} : { afterBatch: o.afterBatch }),
    ...(o.timersSet === undefined ? {} : { timersSet: o.timersSet }),
    ...(o.onPosition === undefined ? {} : { onPosition: o.onPosition }),
    ...(o.onDeadLetters === undefined ? {} : { onDeadLetters: o.onDeadLetters }),
    // A due message's directory change is its own entry, which no other message's triage
    // reads: the sends of a run are planned together (delivery/follow.ts).
    joins: isDue,
    fold: async (event, at, work) => {
      // Whom an enlistment takes its device from (domain/delivery/moves.ts): asked before its
      // change joins the batch; the directory's holders, and those earlier in the batch.
      const takes =
        event.type === 'DeviceEnlisted'
          ? takenFrom(event.data.uid, [
              ...(await dir.holders(event.data.deviceId)),
              ...work.enlistersOf(event.data.deviceId),
            ])
          : [];
      const changes = directoryChanges(event, at);
      work.directory(changes.directory);
      cache.forget(changes.directory);
      for (const uid of takes) cache.forgetUser(uid);
      memberLists.forget(changes.directory);
      work.timers(changes.timers);
      // The revocations run once the batch up to the enlistment is committed (the device out of
      // the earlier holders' devices), before anything after it is folded.
      if (event.type === 'DeviceEnlisted' && takes.length > 0) {
        const { deviceId } = event.data;
        return () => move(deviceId, at.correlationId);
      }
      if (!isDue(event)) return undefined;
      // The effect runs once the batch up to this event is committed: the directory then has it.
      const published = event.type === 'MessagePublished';
      return () => triageCommitted(event.data.mid, at.eventId, published);
    },
  });
};
