import type { Followed, FollowedEvent } from '../../ports/follower.js';
import type { SearchOp } from '../../ports/search.js';
import { checkInPieces } from '../../domain/analytics/online.js';

// The online-time part of the search projection: each node's check-in (UsersCheckedIn) ->
// one document per user and UTC minute of its interval (domain/analytics/online.ts). Whole
// documents by natural key, so a replayed check-in writes the same documents.

export const CHECKIN_EVENTS: readonly string[] = ['UsersCheckedIn'];

export const checkInOps = (events: readonly Followed<FollowedEvent>[]): SearchOp[] => {
  // The store applies a batch's erasures before these puts: a check-in of a user erased later
  // in the same batch is left out here, so that nothing of theirs from before it survives.
  const erasedAfter = new Map<string, number>();
  events.forEach(({ event }, i) => {
    if (event.type === 'UserErased') erasedAfter.set(event.data.uid, i);
  });
  return events.flatMap(({ event }, i) => {
    if (event.type !== 'UsersCheckedIn') return [];
    const { node, from, to, users } = event.data;
    return users
      .filter((u) => (erasedAfter.get(u.uid) ?? -1) < i)
      .flatMap((u) => checkInPieces(node, from, to, u).map((doc): SearchOp => ({ kind: 'putCheckIn', doc })));
  });
};
