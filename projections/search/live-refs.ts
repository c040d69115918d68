import { triageStream } from '../../domain/triage/keys.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { UserId } from '../../schema/ids.js';
import { liveListOf } from '../../schema/triage-events.js';
import type { PlannedEvent } from './plan.js';

// A MessageTriaged may name its live list instead of carrying it (`liveOf`, issue 15): the same
// list as an earlier batch's. The search projection reads it as if it were written there, so every
// count, list and erasure is what it was with the list written out, whether the reference is met
// live, in a rebuild, or after a restart from a checkpoint past its root. The roots met in the log
// are kept (bounded); a root not kept is read from the log (its triage stream), which always has
// it before the reference (triage names only a batch it appended).

/** How many uids of root lists are kept before the oldest lists are dropped. */
export const LIVE_ROOTS_UIDS = 200_000;

export type RootReader = Pick<EventStore, 'read'>;

export interface LiveRoots {
  /** `events` with every `liveOf` replaced by the list it names; remembers the lists met. */
  resolve(events: readonly PlannedEvent[]): Promise<readonly PlannedEvent[]>;
}

export const liveRoots = (log: RootReader | undefined, limit = LIVE_ROOTS_UIDS): LiveRoots => {
  const kept = new Map<string, readonly UserId[]>();
  let held = 0;
  const keep = (key: string, uids: readonly UserId[]): void => {
    if (kept.has(key)) return;
    kept.set(key, uids);
    held += uids.length;
    for (const [k, v] of kept) {
      if (held <= limit || k === key) break;
      kept.delete(k);
      held -= v.length;
    }
  };
  const rootOf = async (mid: string, batch: number): Promise<readonly UserId[]> => {
    const key = `${mid}/${String(batch)}`;
    const known = kept.get(key);
    if (known !== undefined) return known;
    const read = log === undefined ? undefined : liveListOf(await log.read(triageStream(mid)), batch);
    // A log without the root is not one triage wrote: stop here rather than count it wrong.
    if (read === undefined)
      throw new Error(`search projection: the live list of ${key} named by a batch is not in the log`);
    keep(key, read);
    return read;
  };
  return {
    resolve: async (events) => {
      if (!events.some((e) => e.event.type === 'MessageTriaged')) return events;
      const out: PlannedEvent[] = [];
      for (const p of events) {
        const e = p.event;
        if (e.type === 'MessageTriaged' && e.data.live !== undefined)
          keep(`${e.data.mid}/${String(e.data.batch)}`, e.data.live);
        if (e.type !== 'MessageTriaged' || e.data.liveOf === undefined) {
          out.push(p);
          continue;
        }
        const { liveOf, ...data } = e.data;
        const live = await rootOf(liveOf.mid, liveOf.batch);
        out.push({ ...p, event: { ...e, data: { ...data, live: [...live] } } });
      }
      return out;
    },
  };
};
