import { expandDeliveries, isBatchDelivery } from '../../domain/delivery/batches.js';
import type { Followed, FollowedEvent, FollowerHandler } from '../../ports/follower.js';
import { CHECKIN_EVENTS, checkInOps } from './checkins.js';
import type { SearchWriter } from '../../ports/search.js';
import { toOps } from './batch.js';
import { planBatch } from './plan.js';
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

const isDomain = (f: Followed<FollowedEvent>): f is Followed => f.event.type !== 'UsersCheckedIn';

export const searchHandler = (index: SearchWriter): FollowerHandler<FollowedEvent> => ({
  types: HANDLED,
  handle: async (all) => {
    const events = all.filter(isDomain);
    // A batched delivery event counts as the per-unit events it stands for.
    const planned = events.flatMap((e) =>
      (isBatchDelivery(e.event) ? expandDeliveries(e.event) : [e.event]).map((event) => ({
        event,
        occurredAt: e.metadata.occurredAt,
      })),
    );
    // Check-ins after the rest: an erasure in the batch then removes what its user had before it,
    // and a check-in after the erasure (a new session) is kept, as in log order.
    await index.write([
      ...(await toOps(planBatch(planned), index)),
      ...(await userOps(events, index)),
      ...checkInOps(all),
    ]);
  },
});
