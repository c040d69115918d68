import * as E from 'fp-ts/lib/Either.js';
import { createLru } from '../commands/lru.js';
import type { Commands } from '../commands/types.js';
import type { Actor } from '../schema/metadata.js';

// Every authenticated caller becomes a user the broker knows (they then receive broadcasts):
// the Recognize command records that once in the log. The node remembers (bounded, least
// recently used forgotten first) whom it has recognised, so the command runs once per user
// per node rather than on every request, and concurrent first requests of one user share one
// run. Recognition never reverts, so a user recognised by another node or forgotten here is
// at worst recognised again, which the command answers without a write.
export type Recognize = (actor: Actor) => Promise<void> | undefined;

export const createRecognition = (recognize: Commands['recognize'], now: () => Date, maxUsers = 100_000): Recognize => {
  const known = createLru<string, true>(maxUsers);
  const running = new Map<string, Promise<void>>();
  return (actor) => {
    if (known.get(actor.uid) === true) return undefined;
    const inFlight = running.get(actor.uid);
    if (inFlight !== undefined) return inFlight;
    const run = recognize({ actor, now: now(), correlationId: 'recognize' })
      .then((result) => {
        if (E.isRight(result)) known.set(actor.uid, true);
      })
      .finally(() => running.delete(actor.uid));
    running.set(actor.uid, run);
    return run;
  };
};
