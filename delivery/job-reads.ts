import type { DeliveryStateStore, DirectoryReads, UnitReads } from '../ports/delivery-state.js';
import type { Device } from '../schema/devices.js';
import type { Contact, Engagement, UnitState } from '../schema/delivery-state.js';
import type { MarkerFacts } from './targets.js';

// What one dispatch job reads, gathered: the due units of one channel from one pass are
// mostly one message's, so the message's state and cancellation are read once per job, not
// once per unit; the recipients' opt-outs and contact points in one batched read per thread
// (`contacts`: not their devices and times, which a job does not use); their devices (push)
// with their addresses in one read; receipts, read markers and collapse keys in a
// statement per message. Reads only, and only for the job's lifetime: a job decides on the
// state as it was when it started, as it did unit by unit.
//
// Besides the store's interface answered from what was read (for digests and MQTT, which
// read more), `facts` answers a step's facts synchronously, so a job decides its steps in one
// pass without a promise per unit (a broadcast's job has up to a few thousand).

type MessageState = Awaited<ReturnType<DirectoryReads['messageState']>>;

export interface JobFacts {
  /** A step's markers' facts, or undefined when the job did not read them (ask the store). */
  markerFacts(u: UnitState): MarkerFacts | undefined;
  /** A push step's device: undefined when gone; `unread` when the job did not read the user's devices. */
  device(uid: string, deviceId: string): Device | undefined | 'unread';
}

const PUSH: ReadonlySet<string> = new Set(['webpush', 'fcm', 'apns']);

export const jobReads = async (
  state: DeliveryStateStore,
  units: readonly UnitState[],
): Promise<{ readonly state: DeliveryStateStore; readonly facts: JobFacts }> => {
  const dir = state.directory;
  const mids = [...new Set(units.flatMap((u) => (u.mid === null ? [] : [u.mid])))];
  const states = new Map<string, MessageState>();
  const cancelled = new Map<string, boolean>();
  for (const mid of mids) {
    states.set(mid, await dir.messageState(mid));
    cancelled.set(mid, await state.units.cancelled(mid));
  }
  const tidOf = (mid: string): string | undefined => states.get(mid)?.tid ?? undefined;

  // Opt-outs and contact points of the job's recipients, by the thread of each unit's message.
  const profiles = new Map<string, Contact>();
  const keyOf = (uid: string, tid: string | undefined): string => `${tid ?? ''}\u0000${uid}`;
  const byThread = new Map<string | undefined, Set<string>>();
  // Receipts, read markers and collapse keys of the job's recipients, per message (and collapse key).
  const byMessage = new Map<string, { tid: string | undefined; uids: Set<string>; ckeys: Set<string> }>();
  const pushUids = new Set<string>();
  for (const u of units) {
    if (u.mid === null) continue;
    const tid = tidOf(u.mid);
    const uids = byThread.get(tid) ?? new Set<string>();
    byThread.set(tid, uids.add(u.uid));
    const m = byMessage.get(u.mid) ?? { tid, uids: new Set<string>(), ckeys: new Set<string>() };
    byMessage.set(u.mid, m);
    m.uids.add(u.uid);
    if (u.collapse !== null) m.ckeys.add(u.collapse);
    if (u.kind === 'step' && PUSH.has(u.channel) && u.deviceId !== null) pushUids.add(u.uid);
  }
  for (const [tid, uids] of byThread)
    for (const [uid, p] of await dir.contacts([...uids], tid)) profiles.set(keyOf(uid, tid), p);
  const devices =
    pushUids.size === 0 ? new Map<string, ReadonlyMap<string, Device>>() : await dir.devicesOf([...pushUids]);

  // Contact points, devices and user-level preferences do not depend on the thread: a read
  // without one (an email's address) is answered from the profile read with the unit's thread.
  const anyThread = new Map<string, Contact>();
  for (const [key, p] of profiles) anyThread.set(key.slice(key.indexOf('\u0000') + 1), p);
  const withoutThread = (uid: string, tid: string | undefined): Contact | undefined => {
    const p = tid === undefined ? anyThread.get(uid) : undefined;
    if (p === undefined) return undefined;
    return { email: p.email, cell: p.cell, channels: p.channels };
  };
  const profileOf = (uid: string, tid: string | undefined): Contact | undefined =>
    profiles.get(keyOf(uid, tid)) ?? withoutThread(uid, tid);

  const engaged = new Map<string, Engagement>();
  const collapsed = new Map<string, boolean>();
  for (const [mid, m] of byMessage) {
    const uids = [...m.uids];
    for (const [uid, e] of await state.units.engagements(uids, mid, m.tid))
      engaged.set(`${mid}\u0000${m.tid ?? ''}\u0000${uid}`, e);
    for (const ckey of m.ckeys) {
      const newer = await state.units.collapsedAmong(uids, ckey, mid);
      for (const uid of uids) collapsed.set(`${mid}\u0000${ckey}\u0000${uid}`, newer.has(uid));
    }
  }

  const directory: DirectoryReads = {
    ...dir,
    messageState: (mid) => (states.has(mid) ? Promise.resolve(states.get(mid)) : dir.messageState(mid)),
    contacts: async (uids, tid) => {
      const known = uids.map((uid) => profileOf(uid, tid));
      if (known.every((p) => p !== undefined)) return new Map(uids.map((uid, i) => [uid, known[i] as Contact]));
      return dir.contacts(uids, tid);
    },
    device: (uid, deviceId) => {
      const mine = devices.get(uid);
      return mine === undefined ? dir.device(uid, deviceId) : Promise.resolve(mine.get(deviceId));
    },
  };
  const reads: UnitReads = {
    ...state.units,
    cancelled: (mid) => {
      const c = cancelled.get(mid);
      return c === undefined ? state.units.cancelled(mid) : Promise.resolve(c);
    },
    engagement: (uid, mid, tid) => {
      const e = engaged.get(`${mid}\u0000${tid ?? ''}\u0000${uid}`);
      return e === undefined ? state.units.engagement(uid, mid, tid) : Promise.resolve(e);
    },
    collapsed: (uid, ckey, mid) => {
      const c = collapsed.get(`${mid}\u0000${ckey}\u0000${uid}`);
      return c === undefined ? state.units.collapsed(uid, ckey, mid) : Promise.resolve(c);
    },
  };
  const facts: JobFacts = {
    markerFacts: (u) => {
      if (u.mid === null || !states.has(u.mid)) return undefined;
      const s = states.get(u.mid);
      const tid = s?.tid ?? undefined;
      const engagement = engaged.get(`${u.mid}\u0000${tid ?? ''}\u0000${u.uid}`);
      const isCollapsed = u.collapse === null ? false : collapsed.get(`${u.mid}\u0000${u.collapse}\u0000${u.uid}`);
      const profile = profileOf(u.uid, tid);
      if (engagement === undefined || isCollapsed === undefined || profile === undefined) return undefined;
      return { state: s, cancelled: cancelled.get(u.mid) ?? false, engagement, collapsed: isCollapsed, profile };
    },
    device: (uid, deviceId) => {
      const mine = devices.get(uid);
      return mine === undefined ? 'unread' : mine.get(deviceId);
    },
  };
  return { state: { ...state, directory, units: reads }, facts };
};
