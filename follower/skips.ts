import type { EventStore } from '../ports/eventstore.js';
import type { CheckpointStore, DeadLetter } from '../ports/follower.js';
import { KNOWN_TYPES, decodeOne, outsideDomain } from './decode.js';

// What a rebuild would skip: the live generation's dead letters whose events still do not
// decode with this build's codecs (a fixed codec makes a dead letter decodable again, and a
// rebuild then picks it up). Each is read back from the log by its position.

const RECHECK_MAX = 1_000;

export const wouldSkip = async (
  store: Pick<EventStore, 'readAll'>,
  checkpoints: CheckpointStore,
  follower: string,
  types: ReadonlySet<string> | undefined,
): Promise<readonly DeadLetter[]> => {
  const dead = await checkpoints.deadLetters(follower);
  const out: DeadLetter[] = [];
  for (const [i, d] of dead.entries()) {
    // Beyond the first thousand, each is taken as it was recorded rather than read back.
    if (i >= RECHECK_MAX) {
      out.push(d);
      continue;
    }
    const [r] = await store.readAll({ after: d.position - 1, limit: 1 });
    if (r?.position !== d.position) continue; // no longer in the log
    const outside = outsideDomain(r);
    if (outside !== undefined) {
      if (outside !== '') out.push(d);
      continue;
    }
    const handled = !KNOWN_TYPES.has(r.type) || types === undefined || types.has(r.type);
    if (handled && typeof decodeOne(r) === 'string') out.push(d);
  }
  return out;
};
