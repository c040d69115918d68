import type { DeliveryStateStore, DirectoryReads, UnitReads } from '../ports/delivery-state.js';
import type { Engagement, Profile, UnitState } from '../schema/delivery-state.js';

// What one dispatch job reads, gathered: the due units of one channel from one pass are
// mostly one message's, so the message's state and cancellation are read once per job, not
// once per unit, and the recipients' profiles (opt-outs, contact points) are read for the
// whole job in one batched read per thread. Reads only, and only for the job's lifetime: a
// job decides on the state as it was when it started, as it did unit by unit.
type Memo<T> = Map<string, Promise<T>>;
const memo = <T>(cache: Memo<T>, key: string, read: () => Promise<T>): Promise<T> => {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const p = read();
  cache.set(key, p);
  return p;
};

export const jobReads = async (state: DeliveryStateStore, units: readonly UnitState[]): Promise<DeliveryStateStore> => {
  const dir = state.directory;
  const states: Memo<Awaited<ReturnType<DirectoryReads['messageState']>>> = new Map();
  const cancelled: Memo<boolean> = new Map();
  const messageState: DirectoryReads['messageState'] = (mid) => memo(states, mid, () => dir.messageState(mid));

  // Profiles of the job's recipients, by the thread of each unit's message.
  const profiles = new Map<string, Profile>();
  const keyOf = (uid: string, tid: string | undefined): string => `${tid ?? ''}\u0000${uid}`;
  const byThread = new Map<string | undefined, Set<string>>();
  for (const u of units) {
    if (u.mid === null) continue;
    const tid = (await messageState(u.mid))?.tid ?? undefined;
    const uids = byThread.get(tid) ?? new Set<string>();
    byThread.set(tid, uids.add(u.uid));
  }
  for (const [tid, uids] of byThread)
    for (const [uid, p] of await dir.profiles([...uids], tid)) profiles.set(keyOf(uid, tid), p);

  // Contact points, devices and user-level preferences do not depend on the thread: a read
  // without one (an email's address) is answered from the profile read with the unit's thread.
  const anyThread = new Map<string, Profile>();
  for (const [key, p] of profiles) anyThread.set(key.slice(key.indexOf('\u0000') + 1), p);
  const withoutThread = (uid: string, tid: string | undefined): Profile | undefined => {
    const p = tid === undefined ? anyThread.get(uid) : undefined;
    if (p === undefined) return undefined;
    return { devices: p.devices, email: p.email, cell: p.cell, channels: p.channels };
  };

  const directory: DirectoryReads = {
    ...dir,
    messageState,
    profiles: async (uids, tid) => {
      const known = uids.map((uid) => profiles.get(keyOf(uid, tid)) ?? withoutThread(uid, tid));
      if (known.every((p) => p !== undefined)) return new Map(uids.map((uid, i) => [uid, known[i] as Profile]));
      return dir.profiles(uids, tid);
    },
  };
  // Receipts, read markers and collapse keys of the job's recipients, per message (and
  // collapse key): a statement per message, not two or three per unit.
  const engaged = new Map<string, Engagement>();
  const collapsed = new Map<string, boolean>();
  const byMessage = new Map<string, { tid: string | undefined; uids: Set<string>; ckeys: Set<string> }>();
  for (const u of units) {
    if (u.mid === null) continue;
    const tid = (await messageState(u.mid))?.tid ?? undefined;
    const m = byMessage.get(u.mid) ?? { tid, uids: new Set<string>(), ckeys: new Set<string>() };
    byMessage.set(u.mid, m);
    m.uids.add(u.uid);
    if (u.collapse !== null) m.ckeys.add(u.collapse);
  }
  for (const [mid, m] of byMessage) {
    const uids = [...m.uids];
    for (const [uid, e] of await state.units.engagements(uids, mid, m.tid))
      engaged.set(`${mid}\u0000${m.tid ?? ''}\u0000${uid}`, e);
    for (const ckey of m.ckeys) {
      const newer = await state.units.collapsedAmong(uids, ckey, mid);
      for (const uid of uids) collapsed.set(`${mid}\u0000${ckey}\u0000${uid}`, newer.has(uid));
    }
  }
  const reads: UnitReads = {
    ...state.units,
    cancelled: (mid) => memo(cancelled, mid, () => state.units.cancelled(mid)),
    engagement: (uid, mid, tid) => {
      const e = engaged.get(`${mid}\u0000${tid ?? ''}\u0000${uid}`);
      return e === undefined ? state.units.engagement(uid, mid, tid) : Promise.resolve(e);
    },
    collapsed: (uid, ckey, mid) => {
      const c = collapsed.get(`${mid}\u0000${ckey}\u0000${uid}`);
      return c === undefined ? state.units.collapsed(uid, ckey, mid) : Promise.resolve(c);
    },
  };
  return { ...state, directory, units: reads };
};
