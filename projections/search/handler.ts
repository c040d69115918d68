import { expandDeliveries, isBatchDelivery } from '../../domain/delivery/batches.js';
import type { FollowerHandler } from '../../ports/follower.js';
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
]);

export const searchHandler = (index: SearchWriter): FollowerHandler => ({
  types: HANDLED,
  handle: async (events) => {
    // A batched delivery event counts as the per-unit events it stands for.
    const planned = events.flatMap((e) =>
      (isBatchDelivery(e.event) ? expandDeliveries(e.event) : [e.event]).map((event) => ({
        event,
        occurredAt: e.metadata.occurredAt,
      })),
    );
    await index.write([...(await toOps(planBatch(planned), index)), ...(await userOps(events, index))]);
  },
});
