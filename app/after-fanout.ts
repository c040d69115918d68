import type { EventStore } from '../ports/eventstore.js';

// The delivery reactors beside the fan-out, on the same thread (issue 15, realtime latency).
// uWS does not write a topic's frame to the sockets inside `app.publish`: it queues it and
// writes every queued frame in its loop handler, which runs once the task that published it and
// all the microtasks queued meanwhile are done (the check phase, before `setImmediate`
// callbacks). One commit wakes the live follower and the reactors' followers together, so a
// message's audience was planned by triage (and its batch folded by dispatch) in that same task,
// after the live follower's publish and before uWS wrote the frame: the frame waited for them.
// Here every batch the reactors follow starts one turn of the loop later, after uWS's handler:
// the frames of a commit go out first, then delivery plans it. Nothing else changes (the same
// batches, in the same order, with the same retries; only the moment they start).
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

export const followingAfterFanout = <S extends EventStore>(store: S): S => ({
  ...store,
  subscribeAll: (after, handler, onError) =>
    store.subscribeAll(after, (events) => nextTurn().then(() => handler(events)), onError),
});
