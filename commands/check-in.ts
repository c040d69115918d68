import * as E from 'fp-ts/lib/Either.js';
import { invalid } from '../domain/errors.js';
import { describeErrors } from '../schema/errors.js';
import { streams, UsersCheckedIn } from '../schema/events.js';
import type { CommandDeps } from './deps.js';
import { appendStamped, freshIds } from './gateway.js';
import { failedToAppend } from './handler.js';
import type { Commands } from './types.js';

// One node's websocket check-in for one interval: what each user's sessions did on it
// (api/ws/checkin.ts tallies them in memory, so a connect is never a write). Appended to the
// node's own stream `presence-<node>`, so nodes never contend for a stream, as UsersCheckedIn
// events of at most 1,000 users each, with the node itself as the actor.
const PER_EVENT = 1000;

export const checkIn =
  (deps: CommandDeps): Commands['checkIn'] =>
  async (c) => {
    const interval = { from: c.from.toISOString(), to: c.to.toISOString() };
    const events: UsersCheckedIn[] = [];
    for (let i = 0; i < c.users.length; i += PER_EVENT) {
      const candidate: unknown = {
        type: 'UsersCheckedIn',
        data: { node: c.node, ...interval, users: c.users.slice(i, i + PER_EVENT) },
      };
      // As for every command: appended only if the codec that reads it back accepts it.
      const decoded = UsersCheckedIn.decode(candidate);
      if (E.isLeft(decoded))
        return E.left(invalid('EventIsOutOfBounds', `UsersCheckedIn: ${describeErrors(decoded.left).join('; ')}`));
      events.push(decoded.right);
    }
    if (events.length === 0) return E.right({ position: 0 });
    const id = `checkin:${c.node}:${interval.to}`;
    const cause = { actor: { uid: `node:${c.node}`, roles: ['system'] }, at: c.to, correlationId: id };
    try {
      const r = await appendStamped(
        deps.store,
        streams.presence(c.node),
        events,
        'any',
        cause,
        freshIds(deps.env.newId),
      );
      return r.kind === 'appended'
        ? E.right({ position: r.position })
        : E.left(failedToAppend(`the log refused the check-in of ${c.node}`));
    } catch {
      return E.left(failedToAppend(`the event log failed while checking in ${c.node}`));
    }
  };
