import { expandDeliveries, isBatchDelivery } from '../../domain/delivery/batches.js';
import type { Followed, FollowedEvent, FollowerHandler } from '../../ports/follower.js';
import { CHECKIN_EVENTS, checkInOps } from './checkins.js';
import type { SearchWriter } from '../../ports/search.js';
import { toOps } from './batch.js';
import { messageVariants, planBatch } from './plan.js';
import type { PlannedEvent } from './plan.js';
import { liveState } from './live.js';
import { heldState } from './held.js';
import { liveRoots } from './live-refs.js';
import type { RootReader } from './live-refs.js';
import type { MessageDoc } from '../../schema/search-documents.js';
import { USER_EVENTS, userOps } from './users.js';

// The search projection's handler: a batch of events -> a plan -> the port's ops -> one write.
// The follower stores the checkpoint after the write (at-least-once; every op is idempotent).

/** The follower's name for the search projection (its checkpoint). */
export const SEARCH = 'search';

const HANDLED: ReadonlySet<string> = new Set([
  'MessagePublished',
  'MessageCancelled',
  'MessageRetracted',
  'MessagesAcknowledged',
  'UserErased',
  'MessageTriaged',
  'DeliveryAttempted',
  'DeliverySucceeded',
  'DeliveryFailed',
  'DeliveryGivenUp',
  'DeliveriesClaimed',
  'DeliveriesSent',
  ...USER_EVENTS,
  ...CHECKIN_EVENTS,
]);

/**
 * Messages created lately whose variants are kept for their live lists (live.ts variantsOf) and
 * funnel marks (batch.ts): under a burst of sends the triage reactor's MessageTriaged came more
 * than a thousand messages after its MessagePublished, and most still read their document back
 * (issue 15). An entry is the mid the event holds anyway and, rarely, its variants.
 */
const RECENT_DOCS = 20_000;

const isDomain = (f: Followed<FollowedEvent>): f is Followed => f.event.type !== 'UsersCheckedIn';

/**
 * Messages whose live state the batch asks about, those of them that get a live list, those
 * triaged (their held receipts), and the (mid, uid) of each receipt (was its user addressed?).
 */
const liveMids = (
  planned: readonly PlannedEvent[],
): { mids: Set<string>; listing: Set<string>; triaged: Set<string>; acks: Map<string, Set<string>> } => {
  const mids = new Set<string>();
  const listing = new Set<string>();
  const triaged = new Set<string>();
  const acks = new Map<string, Set<string>>();
  for (const { event: e, root } of planned) {
    if (e.type === 'MessageTriaged') {
      mids.add(e.data.mid);
      triaged.add(e.data.mid);
      if (e.data.live !== undefined || root !== undefined) listing.add(e.data.mid);
    } else if (e.type === 'MessagesAcknowledged') {
      // Every receipt's: a user listed live for the message was addressed (plan.ts isAddressed).
      for (const mid of e.data.mids) {
        mids.add(mid);
        const uids = acks.get(mid) ?? new Set<string>();
        uids.add(e.data.uid);
        acks.set(mid, uids);
      }
    } else if (e.type === 'DeliverySucceeded') {
      for (const mid of e.data.mid === undefined ? (e.data.mids ?? []) : [e.data.mid]) mids.add(mid);
    }
  }
  return { mids, listing, triaged, acks };
};

/**
 * `liveCacheUids`: the bound of what is kept of live lists in memory (tests make it tiny);
 * `log`: where a live list named by reference is read when its root is not kept (live-refs.ts).
 */
export const searchHandler = (
  index: SearchWriter,
  liveCacheUids?: number,
  log?: RootReader,
  rootsUids?: number,
): FollowerHandler<FollowedEvent> => {
  // Per generation (the follower makes a handler for each): what its store holds of live lists.
  const live = liveState(liveCacheUids);
  const roots = liveRoots(log, rootsUids);
  // Per generation too: receipts held for users their message has not addressed yet (held.ts).
  const held = heldState();
  // The A/B variants of the messages this handler created lately: a message's triage batches come
  // a commit or two after its MessagePublished, and each read its document back from the store
  // (and parsed it) only for them (its live lists, its funnel marks' variants), which a document
  // never changes once created. A batch that fails is retried whole before any later one, so a
  // message kept here is in the store by the time a later batch is written.
  const recent = new Map<string, MessageDoc['variants']>();
  return {
    types: HANDLED,
    handle: async (all) => {
      const events = all.filter(isDomain);
      // A batched delivery event counts as the per-unit events it stands for.
      const planned = await roots.resolve(
        events.flatMap((e) =>
          (isBatchDelivery(e.event) ? expandDeliveries(e.event) : [e.event]).map((event) => ({
            event,
            occurredAt: e.metadata.occurredAt,
          })),
        ),
      );
      const { mids, listing, triaged, acks } = liveMids(planned);
      // The documents of messages that get a list (their A/B variants): created in the batch, or stored.
      const created = new Map<string, MessageDoc['variants']>();
      const createdHere: string[] = [];
      for (const { event } of planned)
        if (event.type === 'MessagePublished') {
          // Only the variants: the whole document is made once, by the planner.
          const variants = messageVariants(event.data);
          if (listing.has(event.data.mid)) created.set(event.data.mid, variants);
          if (recent.size >= RECENT_DOCS) recent.delete(recent.keys().next().value ?? '');
          recent.set(event.data.mid, variants);
          createdHere.push(event.data.mid);
        }
      // Their live lists are empty so far: a triage of theirs in this batch or the next reads none
      // back from the store (a read per new message, issue 15).
      live.created(createdHere);
      held.created(createdHere);
      const known = (m: string): boolean => created.has(m) || recent.has(m);
      const wanted = [...listing].filter((m) => !known(m));
      const stored = wanted.length === 0 ? new Map<string, MessageDoc>() : await index.messages(wanted);
      // Known for the messages that get a list (their documents were read) and those created lately.
      const variantsOf = (m: string): MessageDoc['variants'] =>
        created.has(m) ? created.get(m) : recent.has(m) ? recent.get(m) : stored.get(m)?.variants;
      const knows = (m: string): boolean => listing.has(m) || known(m);
      const view = mids.size === 0 ? undefined : await live.prepare(index, mids, listing, variantsOf, knows);
      // Was each receipt's user addressed before the batch? Listed live (in memory), else one point
      // read per (mid, uid) of the stored `f:addressed`, all in one request; a triage in the batch
      // is the planner's to see.
      const pairs: { mid: string; uid: string }[] = [];
      for (const [mid, uids] of acks)
        for (const uid of uids) if (view?.isLive(mid, uid) !== true) pairs.push({ mid, uid });
      const addressed = pairs.length === 0 ? new Map<string, ReadonlySet<string>>() : await index.addressed(pairs);
      const waiting = await held.prepare(index, triaged);
      const gate = { addressed: (mid: string, uid: string) => addressed.get(mid)?.has(uid) === true, held: waiting };
      // Check-ins after the rest: an erasure in the batch then removes what its user had before it,
      // and a check-in after the erasure (a new session) is kept, as in log order.
      try {
        await index.write([
          // The variants of the messages this handler created: a triage's funnel marks need no read.
          ...(await toOps(planBatch(planned, view, gate), index, recent)),
          ...(await userOps(events, index)),
          ...checkInOps(all),
        ]);
      } catch (e) {
        live.forget();
        held.forget();
        // A message whose batch failed is not known to be stored until its retry writes it (an
        // event the engine refuses for good is quarantined, and its message never is).
        for (const mid of createdHere) recent.delete(mid);
        throw e;
      }
    },
  };
};
