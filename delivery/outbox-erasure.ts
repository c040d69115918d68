import { createFollower, type FollowerLog } from '../follower/follower.js';
import type { EventStore } from '../ports/eventstore.js';
import type { Followed, FollowedEvent } from '../ports/follower.js';
import type { OutboxStore } from '../ports/outbox.js';

// GDPR erasure of the outbox (docs/gdpr.md): the outbox (outbox.db) holds what the providers
// would have been sent, text and addresses included, so on UserErased every entry recorded for
// that user is removed from this node's file. A follower of its own, with its checkpoint in the
// outbox file, so a node that was down when the user was erased erases when it comes back.
// A new outbox (no checkpoint) starts at the log head: it holds nothing older to erase.
// Deliveries already claimed when the erasure was appended and recorded after it are not
// erased again (dispatch reads the erased directory from then on, so there are few of them).
export const OUTBOX_ERASURE = 'outbox-erasure';
const TYPES: ReadonlySet<string> = new Set(['UserErased']);

export interface OutboxErasure {
  stop(): Promise<void>;
}

export const startOutboxErasure = async (o: {
  readonly store: Pick<EventStore, 'subscribeAll' | 'head'>;
  readonly outbox: Pick<OutboxStore, 'eraseUser' | 'checkpoints'>;
  readonly now: () => string;
  readonly log: FollowerLog;
}): Promise<OutboxErasure> => {
  const stored = await o.outbox.checkpoints.read(OUTBOX_ERASURE);
  const from = stored > 0 ? stored : await o.store.head();
  if (stored === 0) await o.outbox.checkpoints.write(OUTBOX_ERASURE, from);
  const follower = createFollower({
    name: OUTBOX_ERASURE,
    store: o.store,
    from,
    checkpoints: o.outbox.checkpoints,
    now: o.now,
    log: o.log,
    handler: {
      types: TYPES,
      // Asynchronous on purpose: the erasure runs after the checkpoint's transaction (its WAL
      // truncation cannot run inside one); the position is stored once it is done (at least once).
      handle: async (events: readonly Followed<FollowedEvent>[]) => {
        await Promise.resolve(); // out of the checkpoint's synchronous transaction first
        for (const f of events) if (f.event.type === 'UserErased') await o.outbox.eraseUser(f.event.data.uid);
      },
    },
  });
  follower.start();
  return { stop: () => follower.stop() };
};
